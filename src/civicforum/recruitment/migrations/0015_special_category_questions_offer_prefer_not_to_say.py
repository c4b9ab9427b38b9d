from django.db import migrations


def offer_prefer_not_to_say(apps, schema_editor):
    """A question asking for special category data always offers 'Prefer not to say'
    (``quotas.add_question``): registering must not depend on giving such an answer. One more answer
    changes none already given."""
    QuotaQuestion = apps.get_model("recruitment", "QuotaQuestion")
    QuotaQuestion.objects.filter(special_category=True).update(allow_prefer_not_to_say=True)


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0014_invitation_letters_written_and_replied_members"),
    ]

    operations = [
        migrations.RunPython(offer_prefer_not_to_say, migrations.RunPython.noop),
    ]
