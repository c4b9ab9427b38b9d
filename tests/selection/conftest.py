"""Fixtures for the selection input, diagnosis, lottery and CLI tests.

``distribution_finder`` is the engine's ``find_distribution`` when it exists; until then a small
stand-in (uniform over a few MILP panels) so these parts can be tested on their own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import highspy
import numpy as np
import pytest

import civicforum.selection as selection_package
from civicforum.selection.diagnose import quota_members
from civicforum.selection.types import (
    Algorithm,
    InfeasibleQuotasError,
    Instance,
    Panel,
    Person,
    Quota,
    SelectionResult,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sortition"


def _stand_in_panel(instance: Instance, weights: list[float]) -> Panel | None:
    highs = highspy.Highs()
    highs.silent()
    people = instance.people
    n = len(people)
    position = {p.id: i for i, p in enumerate(people)}
    lower = np.array([1.0 if p.id in instance.already_selected else 0.0 for p in people])
    highs.addCols(n, -np.array(weights), lower, np.ones(n), 0, [], [], [])
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    k = float(instance.panel_size)
    highs.addRow(k, k, n, np.arange(n, dtype=np.int32), np.ones(n))
    for quota, ids in zip(instance.quotas, quota_members(instance), strict=True):
        columns = np.array([position[i] for i in ids], dtype=np.int32)
        highs.addRow(float(quota.min), float(quota.max), len(columns), columns, np.ones(len(columns)))
    for ids in instance.households().values():
        columns = np.array([position[i] for i in ids], dtype=np.int32)
        highs.addRow(-highspy.kHighsInf, 1.0, len(columns), columns, np.ones(len(columns)))
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = highs.getSolution().col_value
    return tuple(sorted(p.id for p, v in zip(people, values, strict=True) if v > 0.5))


def stand_in_find_distribution(
    instance: Instance,
    algorithm: Algorithm = Algorithm.LEXIMIN,
    *,
    settings: object = None,
    progress: object = None,
) -> SelectionResult:
    """Uniform over up to 12 distinct panels found with seeded random weights (not fair, just valid)."""
    rng = random.Random(0)
    panels: list[Panel] = []
    for _ in range(12):
        panel = _stand_in_panel(instance, [rng.random() for _ in instance.people])
        if panel is None:
            raise InfeasibleQuotasError()
        if panel not in panels:
            panels.append(panel)
    weight = 1 / len(panels)
    probabilities = {p.id: 0.0 for p in instance.people}
    for panel in panels:
        for person in panel:
            probabilities[person] += weight
    return SelectionResult(algorithm, "stand-in", tuple(panels), (weight,) * len(panels), probabilities)


@pytest.fixture
def distribution_finder(monkeypatch: pytest.MonkeyPatch) -> Callable[..., SelectionResult]:
    """The real ``find_distribution`` if the algorithms are in, else the stand-in (patched in for the CLI)."""
    real = getattr(selection_package, "find_distribution", None)
    if real is not None:
        return real  # type: ignore[no-any-return]
    monkeypatch.setattr(selection_package, "find_distribution", stand_in_find_distribution, raising=False)
    monkeypatch.setattr(selection_package, "SelectionSettings", lambda **_: None, raising=False)
    return stand_in_find_distribution


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
