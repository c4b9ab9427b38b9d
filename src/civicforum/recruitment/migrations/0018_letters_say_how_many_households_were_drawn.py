from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

OLD = "Your household is one of a few thousand picked at random from every address in the area."
NEW = "Your household is one of $households picked at random from every address in the area."


def state_the_households_drawn(apps, schema_editor):
    """A draw keeps the letter's text once the officer saves it, so draws made before $households keep
    the default's old sentence, untrue for a draw of 100 or 400: only that exact sentence is replaced, and
    any text the officer wrote stays as it is."""
    Lottery = apps.get_model("recruitment", "Lottery")
    Lottery.objects.filter(letter_body__contains=OLD).update(
        letter_body=Replace("letter_body", Value(OLD), Value(NEW))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0017_support_needs_kept_only_for_members"),
    ]

    operations = [
        migrations.RunPython(state_the_households_drawn, migrations.RunPython.noop),
    ]
