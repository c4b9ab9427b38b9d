from django.db import migrations, models


def copy_from_result(apps, schema_editor):
    """Runs drawn before these fields existed keep their lottery's size and pick in ``result`` only."""
    SelectionRun = apps.get_model("recruitment", "SelectionRun")
    for run in SelectionRun.objects.exclude(result={}).iterator():
        run.lottery_size = len(run.result.get("lottery_panels", []))
        run.chosen_index = run.result.get("chosen_index")
        run.save(update_fields=["lottery_size", "chosen_index"])


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0004_run_updated_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="selectionrun",
            name="chosen_index",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="selectionrun",
            name="lottery_size",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(copy_from_result, migrations.RunPython.noop),
    ]
