"""A PDF of letters wraps its heading and body text once: every page shares that one layout."""

from typing import Any

import pytest

from civicforum.recruitment.services import letters
from civicforum.recruitment.services.letters import Letter, LetterDesign, write_letters


def test_the_heading_and_body_are_wrapped_once_per_pdf(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"heading_lines": 0, "body_lines": 0}
    for name in calls:
        original = getattr(letters, name)

        def counted(design: LetterDesign, name: str = name, original: Any = original) -> Any:
            calls[name] += 1
            return original(design)

        monkeypatch.setattr(letters, name, counted)
    design = LetterDesign(
        "Northam Borough Council", "the Town Centre Future Forum " * 4, "https://northam.example/r"
    )
    pages = [Letter(f"R-{i}", (f"{i} High Street", "NM1 2AB"), "AAAAA-BBBBB") for i in range(3)]
    assert write_letters(tmp_path / "letters.pdf", design, pages) == 3
    assert calls == {"heading_lines": 1, "body_lines": 1}
