"""Where the real Pol.is conversations are: ``shared/data/polis`` beside the checkout."""

from pathlib import Path

POLIS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "polis"
