"""Synthetic but realistic recruitment data for the demo and tests (no real person is described).

Response is skewed the way councils see it: older people, women, white residents and the less
deprived reply more often, so the pool differs visibly from the population and quotas matter.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from civicforum.recruitment.models import Invitation, QuotaCategory, QuotaQuestion, Respondent
from civicforum.recruitment.services import codes
from civicforum.recruitment.services.quotas import category_keys
from civicforum.recruitment.services.registration import email_hash, identity_hash


@dataclass(frozen=True)
class CategorySpec:
    key: str
    label: str
    population: float
    response_weight: float


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    label: str
    categories: tuple[CategorySpec, ...]
    from_address: bool = False
    prefer_not_to_say: float = 0.0  # share of respondents who choose "Prefer not to say"
    special_category: bool = False  # asks for special category data (UK GDPR art. 9)


QUESTIONS = (
    QuestionSpec(
        "gender",
        "What is your gender?",
        (CategorySpec("woman", "Woman", 0.51, 1.2), CategorySpec("man", "Man", 0.49, 0.9)),
    ),
    QuestionSpec(
        "age",
        "How old are you?",
        (
            CategorySpec("16-29", "16 to 29", 0.22, 0.5),
            CategorySpec("30-44", "30 to 44", 0.24, 0.9),
            CategorySpec("45-64", "45 to 64", 0.32, 1.2),
            CategorySpec("65-plus", "65 or over", 0.22, 1.4),
        ),
    ),
    QuestionSpec(
        "ethnicity",
        "What is your ethnic group?",
        (
            CategorySpec("white", "White", 0.82, 1.1),
            CategorySpec("minority", "Asian, Black, mixed or another ethnic group", 0.18, 0.6),
        ),
        prefer_not_to_say=0.02,
        special_category=True,
    ),
    QuestionSpec(
        "disability",
        "Do you have a disability or long-term health condition?",
        (CategorySpec("yes", "Yes", 0.20, 0.9), CategorySpec("no", "No", 0.80, 1.0)),
        prefer_not_to_say=0.03,
        special_category=True,
    ),
)

FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Farid",
    "Grace",
    "Harry",
    "Isla",
    "Jamal",
    "Kai",
    "Leah",
    "Mo",
    "Nia",
    "Owen",
    "Priya",
    "Ravi",
    "Sam",
    "Tara",
    "Zoe",
]
LAST_NAMES = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Patel",
    "Roberts",
    "Smith",
    "Taylor",
]


def create_questions(forum: Any, wards: Sequence[tuple[str, float]], panel_size: int) -> list[QuotaQuestion]:
    """The standard quota questions with population shares, plus the ward (answered from the address)."""
    created = []
    keys = category_keys([name for name, _share in wards])  # as for a ward question added by an officer
    specs = list(QUESTIONS) + [
        QuestionSpec(
            "ward",
            "Ward",
            tuple(CategorySpec(k, name, share, 1.0) for k, (name, share) in zip(keys, wards, strict=True)),
            from_address=True,
        )
    ]
    for position, spec in enumerate(specs):
        question = QuotaQuestion.objects.create(
            forum=forum,
            key=spec.key,
            label=spec.label,
            position=position,
            from_address=spec.from_address,
            allow_prefer_not_to_say=spec.prefer_not_to_say > 0,
            special_category=spec.special_category,
        )
        QuotaCategory.objects.bulk_create(
            QuotaCategory(
                question=question,
                key=c.key,
                label=c.label,
                position=index,
                population_share=Decimal(str(round(c.population, 4))),
            )
            for index, c in enumerate(spec.categories)
        )
        created.append(question)
    return created


def _answer(spec: QuestionSpec, rng: random.Random) -> str:
    if rng.random() < spec.prefer_not_to_say:
        return ""
    keys = [c.key for c in spec.categories]
    return rng.choices(keys, [c.population * c.response_weight for c in spec.categories])[0]


REGISTERING_MINUTES = 4 * 7 * 24 * 60  # by default people register over the four weeks from ``start``


def populate_pool(
    forum: Any,
    invitations: Sequence[Invitation],
    count: int,
    start: datetime,
    rng: random.Random,
    until: datetime | None = None,
) -> list[Respondent]:
    """``count`` registered respondents from the given invitations (some households register two), each
    registered between ``start`` and ``until`` (by default four weeks later). The same ``rng`` gives the
    same people whatever the dates."""
    span = (until - start) if until is not None else timedelta(minutes=REGISTERING_MINUTES)
    respondents: list[Respondent] = []
    households = list(invitations)
    rng.shuffle(households)
    index = 0
    while len(respondents) < count:
        invitation = households[index % len(households)]
        index += 1
        adults = 2 if rng.random() < 0.15 and invitation.max_adults >= 2 else 1
        for _ in range(adults):
            if len(respondents) >= count:
                break
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            answers = {spec.key: _answer(spec, rng) for spec in QUESTIONS}
            email = f"{name.lower().replace(' ', '.')}{len(respondents)}@example.org"
            when = start + span * rng.randint(0, REGISTERING_MINUTES) / REGISTERING_MINUTES
            respondents.append(
                Respondent(
                    forum=forum,
                    invitation=invitation,
                    reference="R-" + "".join(rng.choice(codes.ALPHABET) for _ in range(8)),
                    ward=invitation.address.ward,
                    registered_at=when,
                    identity_hash=identity_hash(f"{name} {len(respondents)}", invitation.address.uprn),
                    full_name=name,
                    email=email,
                    email_hash=email_hash(email),
                    phone=f"07700 9{rng.randint(0, 99999):05d}",
                    answers=answers,
                    availability=[],
                )
            )
    return Respondent.objects.bulk_create(respondents, batch_size=500)


def support_needs(rng: random.Random) -> str:
    """What a member accepting their place says they need to take part (most need nothing)."""
    return rng.choice(["", "", "", "", "Step-free access", "Hearing loop", "Large print"])
