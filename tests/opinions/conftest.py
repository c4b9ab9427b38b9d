"""Where the real Pol.is conversations are: ``shared/data/polis`` beside the checkout."""

from pathlib import Path

import pytest

POLIS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "polis"


@pytest.fixture
def polis() -> Path:
    """The conversations' folder; tests that read them are skipped, saying where they were looked for,
    on a checkout without the shared data beside it."""
    if not POLIS.is_dir():
        pytest.skip(f"shared Pol.is data not found at {POLIS}")
    return POLIS


@pytest.fixture
def brexit(polis: Path) -> Path:
    return polis / "brexit-consensus"
