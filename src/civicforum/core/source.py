"""The source code of the CivicForum that is running here, for anyone who uses it.

CivicForum is licensed under the AGPL-3.0, whose section 13 asks that people using it over a network
can get its source. The archive is built from the installed package itself, so it is the code actually
running, with the files that build and install it; it installs with ``pip install ARCHIVE``.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import civicforum

# Beside the package in a source checkout (src/civicforum/..): what builds and installs it.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "Makefile", "package.json", "package-lock.json")
# Built from npm by ``make assets`` (package.json and package-lock.json say which versions).
BUILT = ("static", "vendor")


def archive_name() -> str:
    try:
        release = version("civicforum")
    except PackageNotFoundError:
        release = "unknown"
    return f"civicforum-{release}"


def _package_files(package: Path) -> list[Path]:
    files = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if not path.is_file() or "__pycache__" in relative.parts or relative.parts[:2] == BUILT:
            continue
        if path.suffix in {".pyc", ".sqlite3"} or relative.name.startswith("."):
            continue
        files.append(path)
    return files


@lru_cache(maxsize=1)
def source_archive() -> bytes:
    """A .tar.gz of the running package and the project files found beside it. Byte for byte the same
    for the same code (entries sorted, times and owners zeroed), so two copies can be compared."""
    package = Path(civicforum.__file__).resolve().parent
    root = package.parent.parent
    top = archive_name()
    entries = [(root / name, f"{top}/{name}") for name in PROJECT_FILES if (root / name).is_file()]
    entries += [
        (path, f"{top}/src/civicforum/{path.relative_to(package)}") for path in _package_files(package)
    ]
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path, name in entries:
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
