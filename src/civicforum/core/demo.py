"""A registry of demo steps, so every app can populate its own pages in the demo.

In ``yourapp/demo.py``::

    from civicforum.core import demo

    @demo.register(order=20)
    def populate(ctx: demo.DemoContext) -> None:
        forum = ctx.forum            # "town-centre-future"
        officer = ctx.users["officer"]
        ...                          # must be idempotent: get_or_create, or skip if present

``civicforum demo`` imports every installed app's ``demo`` module and runs the steps by order.
The foundation step (order 0, in ``processes/demo.py``) creates the council, forums and users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.module_loading import autodiscover_modules

MAIN_FORUM_SLUG = "town-centre-future"
DEMO_PASSWORD = "northam-demo-2026"  # noqa: S105 - printed for local demos only
# The day the demo's story is set on: the town-centres forum drawing its panel. Loaded on another day, every
# date in it moves by whole weeks, so Saturdays stay Saturdays, its forums stand where the story has them
# and its registrations are never past their deletion date (the daily purge would delete them).
STORY_DAY = date(2026, 11, 20)


def story_date(year: int, month: int, day: int) -> date:
    """The demo's date ``day``/``month``/``year``, moved to the week the demo is loaded in."""
    return date(year, month, day) + timedelta(weeks=(date.today() - STORY_DAY).days // 7)


@dataclass
class DemoContext:
    """What the demo steps share: created objects by key, and where to report progress."""

    out: Callable[[str], None] = print
    council: Any = None
    forums: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)

    @property
    def forum(self) -> Any:
        return self.forums[MAIN_FORUM_SLUG]


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[DemoContext], None]


_steps: dict[str, DemoStep] = {}


def register(order: int = 100) -> Callable[[Callable[[DemoContext], None]], Callable[[DemoContext], None]]:
    """Add a step; lower ``order`` runs first. Registering the same function twice keeps one."""

    def decorator(func: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        name = f"{func.__module__}.{func.__qualname__}"
        _steps[name] = DemoStep(order=order, name=name, run=func)
        return func

    return decorator


def steps() -> list[DemoStep]:
    autodiscover_modules("demo")
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))


def run(out: Callable[[str], None] = print) -> DemoContext:
    ctx = DemoContext(out=out)
    for step in steps():
        step.run(ctx)
    return ctx
