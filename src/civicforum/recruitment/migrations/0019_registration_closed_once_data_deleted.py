from django.db import migrations


def close_registration_where_data_deleted(apps, schema_editor):
    """Before the purge closed registration, and before opening it again was refused once the data was
    deleted, a forum could keep 'Registration is open' ticked after its purge: ignored (nobody can
    register without the codes that went with it), but the officer's settings showed it ticked."""
    RecruitmentSettings = apps.get_model("recruitment", "RecruitmentSettings")
    RecruitmentSettings.objects.filter(purged_at__isnull=False, registration_open=True).update(
        registration_open=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0018_letters_say_how_many_households_were_drawn"),
    ]

    operations = [
        migrations.RunPython(close_registration_where_data_deleted, migrations.RunPython.noop),
    ]
