from django.db import migrations

from civicforum.plain_text import plain_line
from civicforum.recruitment.services.registration import email_hash, identity_hash


def clean_names_and_emails(apps, schema_editor):
    """Names and email addresses are now kept as the registration form reads them, without control
    characters and bidirectional overrides (``plain_text.plain_line``): pasted, those could show a name
    reversed, or as boxes, on the officers' lists and spreadsheets. Those saved before are cleaned with
    the same function, imported rather than copied so that they read exactly as new ones do, and their
    keyed hashes (which find the same person registering twice) made again from what is kept, with the
    registration's own functions. The fields are encrypted, so each registration is read and saved
    through the model."""
    Respondent = apps.get_model("recruitment", "Respondent")
    registrations = (
        Respondent.objects.select_related("invitation__address")
        .only("full_name", "email", "invitation__address__uprn")
        .order_by("pk")
    )
    for respondent in registrations.iterator(chunk_size=500):
        name, email = plain_line(respondent.full_name), plain_line(respondent.email)
        if (name, email) == (respondent.full_name, respondent.email):
            continue
        respondent.full_name, respondent.email, respondent.email_hash = name, email, email_hash(email)
        changed = ["full_name", "email", "email_hash"]
        if respondent.invitation is not None:
            respondent.identity_hash = identity_hash(name, respondent.invitation.address.uprn)
            changed.append("identity_hash")
        respondent.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("recruitment", "0019_registration_closed_once_data_deleted"),
    ]

    operations = [
        migrations.RunPython(clean_names_and_emails, migrations.RunPython.noop),
    ]
