from django.db import migrations


def forget_support_needs_of_non_members(apps, schema_editor):
    """Registration used to ask everyone what support they need to take part (often health data); now
    only members are asked, when they accept, and nothing shows anyone else's (the panel file lists
    members selected or confirmed). What the rest of the pool, and members who declined, gave when
    registering is deleted (UK GDPR data minimisation); members still taking part keep theirs."""
    Respondent = apps.get_model("recruitment", "Respondent")
    taking_part = Respondent.objects.filter(memberships__status__in=("selected", "confirmed"))
    Respondent.objects.exclude(pk__in=taking_part.values("pk")).update(access_needs="")


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0016_panel_member_reached_another_way"),
    ]

    operations = [
        migrations.RunPython(forget_support_needs_of_non_members, migrations.RunPython.noop),
    ]
