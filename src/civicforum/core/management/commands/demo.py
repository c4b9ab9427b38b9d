"""``civicforum demo``: create (or top up) the Northam Borough Council demo. Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from civicforum.core import demo


class Command(BaseCommand):
    help = "Create the demo council, forums and staff logins (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even though DEBUG is off. The demo logins have a published password.",
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing if the demo forum already exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "The demo creates logins with a published password. Run it with DEBUG=1, "
                "or pass --allow-production if this really is a throwaway site."
            )
        from civicforum.processes.models import Forum

        if options["if_missing"] and Forum.objects.filter(slug=demo.MAIN_FORUM_SLUG).exists():
            self.stdout.write(f"Demo already present (forum '{demo.MAIN_FORUM_SLUG}').")
        else:
            with transaction.atomic():
                ctx = demo.run(out=self.stdout.write)
            self.stdout.write(
                self.style.SUCCESS(f"Demo ready: {len(ctx.forums)} forums, {len(ctx.users)} users.")
            )
        self.stdout.write(
            f"Demo staff login: username 'officer', password '{demo.DEMO_PASSWORD}' "
            f"(also: council-admin, facilitator, evaluator, panel-member, participant; superuser 'admin')."
        )
