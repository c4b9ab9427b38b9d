"""Fixtures for the selection input, diagnosis, lottery and CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from civicforum.selection import find_distribution
from civicforum.selection.types import Instance, Person, Quota, SelectionResult

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sortition"


@pytest.fixture
def distribution_finder() -> Callable[..., SelectionResult]:
    """The engine's ``find_distribution`` (a fixture so tests state that they solve real instances)."""
    return find_distribution


def make_instance(
    groups: dict[tuple[str, str], int], quotas: list[Quota], panel_size: int, households: int = 0
) -> Instance:
    """People with two features (gender, age): ``groups[(g, a)]`` volunteers of each combination; the
    first ``households`` pairs of consecutive people share an address."""
    people: list[Person] = []
    for (gender, age), count in groups.items():
        for _ in range(count):
            index = len(people)
            people.append(Person(f"p{index}", {"gender": gender, "age": age}))
    for pair in range(households):
        for index in (2 * pair, 2 * pair + 1):
            person = people[index]
            people[index] = Person(person.id, person.features, f"house {pair}")
    return Instance(tuple(people), tuple(quotas), panel_size)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared sortition data not found at {SHARED}")
    return SHARED


@pytest.fixture
def instance_factory() -> Callable[..., Instance]:
    return make_instance
