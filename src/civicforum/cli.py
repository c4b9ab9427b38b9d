"""The ``civicforum`` command.

Engine subcommands (``select``, ``selection``, ``opinions``, ``tables``) run the pure-Python
engines without loading Django, so they start fast and work on a machine with no database.
Every other subcommand is one of Django's management commands (``migrate``, ``runserver``,
``demo``...), run with CivicForum's settings.
"""

from __future__ import annotations

import importlib
import os
import sys

# subcommand -> module exposing ``main(argv: list[str]) -> int``; argv[0] is the subcommand.
ENGINE_COMMANDS = {
    "select": "civicforum.selection.cli",
    "selection": "civicforum.selection.cli",
    "opinions": "civicforum.opinions.cli",
    "tables": "civicforum.tables.cli",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ENGINE_COMMANDS:
        module = importlib.import_module(ENGINE_COMMANDS[argv[0]])
        return int(module.main(argv) or 0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicforum.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicforum", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
