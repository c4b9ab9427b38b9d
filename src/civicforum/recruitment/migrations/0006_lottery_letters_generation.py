from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0005_run_lottery_size"),
    ]

    operations = [
        migrations.AddField(
            model_name="lottery",
            name="letters_generation",
            field=models.PositiveIntegerField(default=0, db_default=0),
        ),
        migrations.AddField(
            model_name="lottery",
            name="letters_updated_at",
            field=models.DateTimeField(
                blank=True, help_text="Last sign of life of the letters being generated.", null=True
            ),
        ),
    ]
