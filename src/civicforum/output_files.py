"""Where the engines' command lines put their results: a whole set of files, or none.

A failed run must never leave a half-written panel or map that someone might act on, and a run that
takes minutes must not end in a traceback because ``--out`` names a file. Plain Python, shared by
the engines' command lines (no Django).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path


class OutputError(Exception):
    """``--out`` cannot receive the results; the message says why and what to do."""


def check_output_directory(out: Path, names: Iterable[str]) -> None:
    """Raise OutputError unless ``out`` can be created or filled with ``names``; call it before any work."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; give a directory (it is created if missing).")
    existing = next(folder for folder in (out, *out.absolute().parents) if folder.exists())
    if not existing.is_dir():
        raise OutputError(
            f"--out {out} cannot be created because {existing} is a file; give another directory."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: {existing} cannot be written to; give a directory you can write to.")
    blocked = [name for name in names if (out / name).is_dir()]
    if blocked:
        raise OutputError(
            f"--out {out} holds a folder named {', '.join(blocked)} where a result file goes; move it away "
            "or give another directory."
        )


def write_atomically(out: Path, names: Iterable[str], write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a staging folder next to ``out``, then move ``names`` into ``out``.

    Raises OutputError (nothing written to ``out``) when ``out`` is unusable or the files cannot be written.
    """
    names = list(names)
    check_output_directory(out, names)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as error:
        raise OutputError(
            f"--out {out} cannot be created ({error.strerror}); give another directory."
        ) from error
    try:
        write(staging)
        out.mkdir(exist_ok=True)
        _move_in(staging, out, names)
    except OSError as error:
        raise OutputError(f"--out {out}: the results could not be written ({error}).") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_texts(out: Path, texts: Mapping[str, str]) -> None:
    """Write every file of ``texts`` (name to content) into ``out``, or none; CSV files get a byte order
    mark, so that Excel, where officers open them, reads them as UTF-8 rather than mangling names."""

    def write(staging: Path) -> None:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")

    write_atomically(out, texts, write)


def _move_in(staging: Path, out: Path, names: list[str]) -> None:
    """Move the files from ``staging`` into ``out``; if one move fails, put back what ``out`` held
    before, so the folder never holds some new files beside some old ones."""
    previous = staging / ".previous"
    previous.mkdir()
    started: list[str] = []
    try:
        for name in names:
            if (out / name).exists():
                os.replace(out / name, previous / name)
            started.append(name)
            os.replace(staging / name, out / name)
    except OSError:
        for name in started:
            if (previous / name).exists():
                os.replace(previous / name, out / name)
            else:
                (out / name).unlink(missing_ok=True)
        raise
