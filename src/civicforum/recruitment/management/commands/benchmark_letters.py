"""``civicforum benchmark_letters``: time the streaming letter writer (no database needed)."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from civicforum.recruitment.services.codes import new_code
from civicforum.recruitment.services.letters import Letter, LetterDesign, write_letters


def sample_letters(count: int) -> Iterator[Letter]:
    for index in range(count):
        lines = ("The Householder", f"{index % 300 + 1} High Street", "Northam", "NM1 2AB")
        yield Letter(f"L00101-{index:05d}", lines, new_code())


class Command(BaseCommand):
    help = "Write N invitation letters to a temporary PDF and report time, size and peak memory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--count", type=int, default=30_000, help="how many letters to write (default 30,000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        design = LetterDesign(
            "Northam Borough Council",
            "the Town Centre Future Forum",
            "https://northam.example/register/",
            households=options["count"],
        )
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "letters.pdf"
            started = time.perf_counter()
            written = write_letters(path, design, sample_letters(options["count"]))
            elapsed = time.perf_counter() - started
            size = path.stat().st_size
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"{written} letters in {elapsed:.1f} s ({size / 1e6:.1f} MB PDF, peak memory {peak:.0f} MB)"
        )
