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
# Django's own help lists only its management commands; without this a newcomer typing
# ``civicforum --help`` never learns that the engines are here.
ENGINE_HELP = """\
Engine subcommands (no database needed; add --help to any, or type 'civicforum help select'):

    select              select a panel from a pool of volunteers by a fair, verifiable lottery
    selection verify    check that a public seed picks the panel a selection published
    opinions            map a Pol.is-style conversation: groups, representative and consensus statements
    tables              seat a panel at diverse tables, with new faces every session

Django's management commands (the web site, its database and its background worker) follow.
"""
HELP_REQUESTS = ([], ["help"], ["--help"], ["-h"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) > 1 and argv[0] == "help" and argv[1] in ENGINE_COMMANDS:
        argv = [*argv[1:], "--help"]
    if argv in HELP_REQUESTS:
        sys.stdout.write(ENGINE_HELP + "\n")
    if argv and argv[0] in ENGINE_COMMANDS:
        module = importlib.import_module(ENGINE_COMMANDS[argv[0]])
        return int(module.main(argv) or 0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicforum.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civicforum", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
