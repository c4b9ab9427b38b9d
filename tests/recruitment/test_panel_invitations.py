"""Invitations to the panel are recorded under the forum's lock and sent afterwards by a background task:
whatever fails part-way, nobody is emailed twice, and the officer sees who was not emailed and can send
to only those (before, a failure rolled back the record of emails already gone and a retry sent them
again)."""

from __future__ import annotations

import re
import smtplib
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from tests import factories
from tests.recruitment.conftest import (
    REPLY_URL,
    SEND_INVITATIONS,
    email_counts,
    invite_and_send,
    publish_selection,
    run_selection,
)

from civicforum.core.models import AuditEvent
from civicforum.recruitment import tasks
from civicforum.recruitment.models import (
    EmailStatus,
    InvitationBatch,
    InvitationBatchStatus,
    MemberStatus,
    PanelMember,
    ReachedBy,
    RecruitmentSettings,
)
from civicforum.recruitment.services import civic_lottery, panel_invitations, privacy, registration, selection


class MailServer(EmailBackend):
    """Django's test outbox, with a mail server that can refuse addresses (as an SMTP relay does) or
    stop dead after some emails (as a crash would)."""

    refused: set[str] = set()
    crash_after: int | None = None

    def send_messages(self, messages: Any) -> int:
        addresses = {address for message in messages for address in message.to}
        if addresses & MailServer.refused:
            raise smtplib.SMTPRecipientsRefused({a: (550, b"No such user") for a in addresses})
        if MailServer.crash_after is not None and len(mail.outbox) >= MailServer.crash_after:
            raise RuntimeError("the worker stopped")
        return super().send_messages(messages)


def with_mail_server(settings: Any, refused: set[str] = frozenset(), crash_after: int | None = None) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.MailServer"
    MailServer.refused, MailServer.crash_after = set(refused), crash_after


def url(name: str, forum: Any, **kwargs: Any) -> str:
    return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug, **kwargs})


def emails_per_address() -> Counter[str]:
    return Counter(address for message in mail.outbox for address in message.to)


def send_again(client: Any, forum: Any, batch: InvitationBatch) -> str:
    """The officer presses "Send again" on the batch's page; returns the page it leads to."""
    return client.post(url("invitations", forum, batch_id=batch.pk), follow=True).content.decode()


def invite_with_one_address_refused(forum: Any, officer: Any, settings: Any) -> tuple[Any, InvitationBatch]:
    """Draw and publish a panel, then invite it through a mail server that refuses one member's address;
    returns that member's registration and the batch."""
    publish_selection(forum, officer, seed="s")
    refused = PanelMember.objects.filter(forum=forum).select_related("respondent").first().respondent
    with_mail_server(settings, refused={refused.email})
    return refused, invite_and_send(forum, officer)


def test_an_email_refused_for_one_member_is_shown_and_sent_again_to_that_member_only(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    refused, batch = invite_with_one_address_refused(forum, officer, settings)

    assert email_counts(batch) == {"sent": 11, "failed": 1} and len(mail.outbox) == 11
    assert batch.status == InvitationBatchStatus.DONE and batch.letters
    page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    assert "11 emailed" in page and "1 member has not been emailed" in page
    not_emailed = page.split('id="not-emailed"')[1].split("</table>")[0]
    assert (
        refused.reference in not_emailed and refused.email in not_emailed and "Email not sent" in not_emailed
    )
    assert not [
        m for m in PanelMember.objects.exclude(respondent=refused) if m.respondent.reference in not_emailed
    ]
    panel = client.get(url("panel", forum)).content.decode()
    assert panel.count(">Email not sent</a>") == 1

    # The officer presses Invite again, and the task runs again (a worker retrying it): nobody is emailed.
    client.post(url("invite_panel", forum), SEND_INVITATIONS)
    tasks.send_invitations.call(batch.pk)
    assert len(mail.outbox) == 11 and InvitationBatch.objects.count() == 1

    # Once the mail server takes the address, "Send again" emails that member, and only them.
    MailServer.refused = set()
    page = send_again(client, forum, batch)
    assert "Sending 1 email again" in page and "has not been emailed" not in page
    assert len(mail.outbox) == 12 and mail.outbox[-1].to == [refused.email]
    assert set(emails_per_address().values()) == {1}
    assert email_counts(batch) == {"sent": 12}
    assert "Sending 0 emails again" in send_again(client, forum, batch) and len(mail.outbox) == 12


def test_a_wrong_email_address_is_corrected_from_the_invitations_page_and_sent_again_to_the_new_one(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    """The officer phones the member whose email was refused, corrects the address from the list of those
    not emailed, comes back to the same page and sends again: the email goes to the corrected address."""
    forum, client = pool[0].forum, signed_in_client(officer)
    refused, batch = invite_with_one_address_refused(forum, officer, settings)
    invitations = url("invitations", forum, batch_id=batch.pk)
    correct = url("correct_details", forum, respondent_id=refused.pk) + f"?next={invitations}"
    page = client.get(invitations).content.decode()
    assert "If an email address was wrong, correct it (Correct details), then send again." in page
    assert f'href="{correct}">Correct details' in page.split('id="not-emailed"')[1].split("</table>")[0]
    posted = {"full_name": refused.full_name, "email": "right.address@example.org", "phone": refused.phone}
    assert client.post(correct, posted).url == invitations
    assert "Sending 1 email again" in send_again(client, forum, batch)
    assert mail.outbox[-1].to == ["right.address@example.org"] and email_counts(batch) == {"sent": 12}
    elsewhere = url("correct_details", forum, respondent_id=refused.pk) + "?next=https://evil.example/"
    assert client.post(elsewhere, posted).url == url("respondents", forum)  # never another site


def test_a_sending_that_stopped_part_way_sends_the_rest_once_and_never_an_email_that_may_have_gone(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    with_mail_server(settings, crash_after=4)

    batch = invite_and_send(forum, officer)

    # The four emails sent are kept as sent: nothing rolled back, everyone stays invited.
    assert batch.status == InvitationBatchStatus.FAILED and len(mail.outbox) == 4
    assert email_counts(batch) == {"sent": 4, "sending": 1, "to_send": 7}
    assert not PanelMember.objects.filter(forum=forum, invited_at__isnull=True).exists()
    failed = AuditEvent.objects.get(action="recruitment.panel_invitations_failed")
    assert failed.details["failure"] == "RuntimeError" and failed.actor is None
    page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    assert "Sending the invitations failed" in page and "8 members have not been emailed" in page
    not_emailed = page.split('id="not-emailed"')[1].split("</table>")[0]
    assert (
        not_emailed.count(EmailStatus.SENDING.label) == 1
        and not_emailed.count(EmailStatus.TO_SEND.label) == 7
    )
    cut_off = PanelMember.objects.get(invitation_batch=batch, email_status=EmailStatus.SENDING)

    # Pressing Invite again (what the officer did before, which emailed the first four again) sends nothing.
    client.post(url("invite_panel", forum), SEND_INVITATIONS)
    assert len(mail.outbox) == 4

    MailServer.crash_after = None
    assert "Sending 7 emails again" in send_again(client, forum, batch)
    assert len(mail.outbox) == 11 and set(emails_per_address().values()) == {1}
    assert cut_off.respondent.email not in emails_per_address()
    assert email_counts(batch) == {"sent": 11, "sending": 1}


def test_sending_again_waits_while_the_batch_is_being_sent_unless_it_has_stopped(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    with_mail_server(settings, refused={"nobody@example.org"})
    batch = invite_and_send(forum, officer)
    InvitationBatch.objects.filter(pk=batch.pk).update(status=InvitationBatchStatus.SENDING)
    PanelMember.objects.filter(invitation_batch=batch).update(email_status=EmailStatus.TO_SEND)
    outbox = len(mail.outbox)

    page = send_again(client, forum, batch)

    assert "These invitations are being sent" in page and "Send again</button>" not in page
    assert len(mail.outbox) == outbox
    InvitationBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    assert "have not moved on for 10 minutes" in page and "Send again</button>" in page
    assert "Sending 12 emails again" in send_again(client, forum, batch)
    assert len(mail.outbox) == outbox + 12


def letters_in(forum: Any) -> list[Path]:
    return sorted(civic_lottery.forum_directory(forum).glob("*.pdf"))


def test_a_send_again_while_the_first_sending_still_writes_the_letters_never_writes_them_twice(
    signed_in_client: Any, pool: Any, officer: Any, monkeypatch: Any
) -> None:
    """The sending goes quiet for 10 minutes while writing the letters (a slow or paused worker), so the
    page offers "Send again", which runs a second sending; then the first carries on."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    write_letters = panel_invitations.write_letters
    kept: dict[str, Any] = {}

    def officer_sends_again_meanwhile(path: Path, *args: Any) -> int:
        if not kept:  # the first sending's letters
            kept["page"] = ""
            batch = InvitationBatch.objects.get()
            InvitationBatch.objects.filter(pk=batch.pk).update(
                updated_at=timezone.now() - timedelta(minutes=11)
            )
            kept["page"] = send_again(client, forum, batch)  # the second sending runs to the end
            batch.refresh_from_db()
            kept["letters"] = Path(batch.letters)
            kept["written"] = kept["letters"].stat().st_mtime_ns
        return write_letters(path, *args)

    monkeypatch.setattr(panel_invitations, "write_letters", officer_sends_again_meanwhile)

    batch = invite_and_send(forum, officer)

    assert "Sending 12 emails again" in kept["page"]
    assert batch.status == InvitationBatchStatus.DONE and Path(batch.letters) == kept["letters"]
    assert letters_in(forum) == [kept["letters"]]
    assert kept["letters"].stat().st_mtime_ns == kept["written"]  # not written over by the first
    assert len(mail.outbox) == 12 and set(emails_per_address().values()) == {1}


def test_invitations_queued_when_the_registration_data_is_deleted_stop_and_write_nothing(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, "1 May")  # queued, not yet run

    privacy.purge_forum(forum, officer)
    tasks.start(tasks.send_invitations, batch.pk)

    batch.refresh_from_db()
    assert batch.status == InvitationBatchStatus.STOPPED and not batch.letters
    assert letters_in(forum) == [] and not RecruitmentSettings.objects.get(forum=forum).panel_letters
    assert mail.outbox == []
    page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    assert "These invitations were stopped when the registration data was deleted" in page
    assert "Send again</button>" not in page and "Check again" not in page


def test_a_purge_while_the_letters_are_being_written_leaves_no_letters_and_sends_nothing(
    pool: Any, officer: Any, monkeypatch: Any
) -> None:
    forum = pool[0].forum
    publish_selection(forum, officer, seed="s")
    write_letters = panel_invitations.write_letters

    def purged_meanwhile(path: Path, design: Any, letters: Any) -> int:
        letters = list(letters)  # read before the purge
        privacy.purge_forum(forum, officer)
        return write_letters(path, design, letters)

    monkeypatch.setattr(panel_invitations, "write_letters", purged_meanwhile)

    batch = invite_and_send(forum, officer)

    assert batch.status == InvitationBatchStatus.STOPPED and not batch.letters
    assert letters_in(forum) == [] and not RecruitmentSettings.objects.get(forum=forum).panel_letters
    assert mail.outbox == []


def test_the_overview_points_the_officer_to_members_not_emailed_until_they_are(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    refused, batch = invite_with_one_address_refused(forum, officer, settings)
    overview = url("overview", forum)
    batch_page = url("invitations", forum, batch_id=batch.pk)

    page = client.get(overview).content.decode()

    assert "1 panel member invited on" in page and "has not been emailed" in page
    assert (
        f'href="{batch_page}">see who, and send the emails again or record that you told them another way</a>'
        in page
    )
    InvitationBatch.objects.filter(pk=batch.pk).update(status=InvitationBatchStatus.SENDING)
    assert "not been emailed" not in client.get(overview).content.decode()  # still sending: not yet
    InvitationBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert "1 panel member invited on" in client.get(overview).content.decode()  # stopped part-way
    MailServer.refused = set()
    send_again(client, forum, batch)
    assert "not been emailed" not in client.get(overview).content.decode()


def pages(pdf: Path) -> int:
    return pdf.read_bytes().count(b"/Type /Page ")


def test_members_who_withdraw_or_reply_before_their_invitation_goes_get_no_letter_and_no_email(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, "1 May")  # queued, not yet sent
    withdrawn, declined = PanelMember.objects.filter(forum=forum).select_related("respondent")[:2]
    registration.withdraw(withdrawn.respondent, officer)  # erased: no name, no address
    selection.set_member_status(declined, MemberStatus.DECLINED, officer)  # phoned in

    tasks.start(tasks.send_invitations, batch.pk)

    batch.refresh_from_db()
    assert email_counts(batch) == {"sent": 10, "not_needed": 2} and len(mail.outbox) == 10
    assert declined.respondent.email not in emails_per_address()
    assert batch.letters_written == 10 and pages(Path(batch.letters)) == 10
    page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    assert "10 letters: " in page and "not been emailed" not in page
    client.get(url("panel_letters", forum))
    logged = AuditEvent.objects.filter(details__what="panel letters download").get()
    assert logged.details["people"] == 10


def test_sending_again_leaves_out_a_member_who_replied_after_their_email_failed(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    respondent, batch = invite_with_one_address_refused(forum, officer, settings)
    refused = PanelMember.objects.get(respondent=respondent)
    selection.set_member_status(refused, MemberStatus.CONFIRMED, officer)  # got the letter and phoned
    MailServer.refused = set()

    page = send_again(client, forum, batch)

    assert "Sending 0 emails again" in page and len(mail.outbox) == 11
    assert email_counts(batch) == {"sent": 11, "not_needed": 1}
    assert "not been emailed" not in client.get(url("overview", forum)).content.decode()


def test_pressing_invite_twice_records_one_batch_and_shows_it_after_the_second_press(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")

    first = client.post(url("invite_panel", forum), SEND_INVITATIONS)
    second = client.post(url("invite_panel", forum), SEND_INVITATIONS, follow=True)

    batch = InvitationBatch.objects.get()
    assert first.url == second.redirect_chain[-1][0] == url("invitations", forum, batch_id=batch.pk)
    assert "Everyone selected has been invited: these are the latest invitations" in second.content.decode()
    assert len(mail.outbox) == 12


def test_the_officer_sees_how_many_members_will_be_emailed_before_any_invitation_goes(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """'Send invitations' emailed every selected member at the first press, with no page saying how many.
    The reply-by date now leads to a check page (how many members, how many emailed, how many get a
    letter only, that emails cannot be recalled); its 'Send invitations' sends them."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    letter_only = PanelMember.objects.filter(forum=forum).select_related("respondent").first().respondent
    letter_only.email = ""
    letter_only.save(update_fields=["email"])
    invite = url("invite_panel", forum)
    assert ">Continue</button>" in client.get(invite).content.decode()

    check = client.post(invite, {"reply_by": "18 December 2026"}).content.decode()

    assert not InvitationBatch.objects.exists() and not mail.outbox
    rows = re.findall(r'__key">([^<]*)</dt>\s*<dd class="govuk-summary-list__value">([^<]*)<', check)
    assert rows == [
        ("Members to invite", "12"),
        ("Emailed, and sent a letter", "11"),
        ("Sent a letter only (they gave no email address)", "1"),
        ("Reply by", "18 December 2026"),
    ]
    assert "Emails cannot be recalled: they go out as soon as you press ‘Send invitations’." in check
    assert f'href="{invite}?reply_by=18%20December%202026">Change' in check
    changing = client.get(f"{invite}?reply_by=18%20December%202026").content.decode()
    assert 'value="18 December 2026"' in changing
    posted = dict(
        re.findall(r'<input type="hidden" name="(reply_by|send|members_checked)" value="([^"]*)">', check)
    )
    assert posted["members_checked"] == "12" and ">Send invitations</button>" in check

    sent = client.post(invite, posted, follow=True).content.decode()

    assert "12 members invited" in sent and len(mail.outbox) == 11
    assert InvitationBatch.objects.get().reply_by == "18 December 2026"


def test_sending_after_the_number_to_invite_changed_shows_the_check_page_again(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A replacement draw (or a colleague) can change who awaits an invitation between the check page and
    'Send invitations'; the figures the officer agreed to would then be wrong, so nothing is sent and the
    check page comes back with the new figures and a banner saying why."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    invite = url("invite_panel", forum)
    check = client.post(invite, {"reply_by": "18 December 2026"}).content.decode()
    posted = dict(
        re.findall(r'<input type="hidden" name="(reply_by|send|members_checked)" value="([^"]*)">', check)
    )
    PanelMember.objects.filter(forum=forum).first().delete()

    again = client.post(invite, posted).content.decode()

    assert not InvitationBatch.objects.exists() and not mail.outbox
    assert (
        "Nothing has been sent. The number of members to invite changed from 12 to 11 since you checked"
        in again
    )
    posted = dict(
        re.findall(r'<input type="hidden" name="(reply_by|send|members_checked)" value="([^"]*)">', again)
    )
    assert posted["members_checked"] == "11"
    assert "11 members invited" in client.post(invite, posted, follow=True).content.decode()


def test_the_check_page_writes_a_thousand_members_as_gov_uk_style_does(
    signed_in_client: Any, pool: Any, officer: Any, monkeypatch: Any
) -> None:
    """The figures read '1200 members': GOV.UK style writes 1,200. The number posted back to compare stays
    a plain number."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    to_send = panel_invitations.InvitationsToSend(members=1200, emails=1000)
    monkeypatch.setattr(panel_invitations, "invitations_to_send", lambda forum: to_send)

    check = client.post(
        url("invite_panel", forum), {"reply_by": "1 May", "send": "yes", "members_checked": "1100"}
    ).content.decode()

    assert "The number of members to invite changed from 1,100 to 1,200 since you checked" in check
    rows = re.findall(r'__key">([^<]*)</dt>\s*<dd class="govuk-summary-list__value">([^<]*)<', check)
    assert [value for _key, value in rows[:3]] == ["1,200", "1,000", "200"]
    assert '<input type="hidden" name="members_checked" value="1200">' in check
    assert not InvitationBatch.objects.exists()


def test_the_panel_page_offers_to_invite_only_while_someone_is_waiting_for_an_invitation(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """'Invite newly selected members' stayed on the panel page once everyone was invited, and led to a
    page saying so; it now shows only while someone selected awaits an invitation, else a line says so."""
    forum, client = pool[0].forum, signed_in_client(officer)
    button = ">Invite newly selected members</a>"
    everyone = "Everyone selected has been invited."
    nobody_yet = client.get(url("panel", forum)).content.decode()
    assert button not in nobody_yet and everyone not in nobody_yet  # the table says no one is selected
    publish_selection(forum, officer, seed="s")
    assert button in client.get(url("panel", forum)).content.decode()

    invite_and_send(forum, officer)

    invited = client.get(url("panel", forum)).content.decode()
    assert button not in invited and everyone in invited
    assert "Download the latest letters to members (PDF)" in invited
    declined = PanelMember.objects.filter(forum=forum).first()
    selection.set_member_status(declined, MemberStatus.DECLINED, officer)
    run_selection(forum, officer, "legacy", seed="r", replacement=True)
    replaced = client.get(url("panel", forum)).content.decode()
    assert button in replaced and everyone not in replaced


def test_a_batch_of_another_forum_is_not_found(
    signed_in_client: Any, pool: Any, officer: Any, user_with_role: Any
) -> None:
    forum = pool[0].forum
    publish_selection(forum, officer, seed="s")
    batch = invite_and_send(forum, officer)
    other = factories.make_forum(forum.council)
    client = signed_in_client(user_with_role("officer", other))
    batch_of_another = url("invitations", other, batch_id=batch.pk)

    assert client.get(batch_of_another).status_code == 404
    assert client.post(batch_of_another).status_code == 404
    assert InvitationBatch.objects.get().status == InvitationBatchStatus.DONE and len(mail.outbox) == 12


def test_letters_that_cannot_be_recorded_leave_no_copy_behind(
    pool: Any, officer: Any, monkeypatch: Any
) -> None:
    """The letters are written, then the database refuses to record them: the names and addresses they
    hold must not stay on disk where nothing points to them (until the purge)."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="s")

    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, "1 May")

    def database_gone(forum_id: int) -> None:
        raise OperationalError("the connection was lost")

    monkeypatch.setattr(panel_invitations, "lock_forum", database_gone)
    tasks.start(tasks.send_invitations, batch.pk)

    assert letters_in(forum) == [] and not RecruitmentSettings.objects.get(forum=forum).panel_letters
    batch.refresh_from_db()
    assert batch.status == InvitationBatchStatus.FAILED and "OperationalError" in batch.error
    assert mail.outbox == []


def test_two_sendings_that_overlap_each_record_the_emails_they_sent(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any, monkeypatch: Any
) -> None:
    """The first sending goes quiet for 10 minutes on its fourth email (a slow mail server), so the
    officer presses "Send again", whose sending emails the rest and finishes first; then the first
    carries on. The audit log had only the second's emails: the first's four were missing from it."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    send_messages = EmailBackend.send_messages
    pressed: list[str] = []

    def officer_sends_again_meanwhile(backend: Any, messages: Any) -> int:
        if len(mail.outbox) == 3 and not pressed:
            pressed.append("")
            batch = InvitationBatch.objects.get()
            InvitationBatch.objects.filter(pk=batch.pk).update(
                updated_at=timezone.now() - timedelta(minutes=11)
            )
            pressed[0] = send_again(client, forum, batch)  # the second sending runs to the end
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", officer_sends_again_meanwhile)

    batch = invite_and_send(forum, officer)

    assert "Sending 8 emails again" in pressed[0]
    assert len(mail.outbox) == 12 and set(emails_per_address().values()) == {1}
    assert batch.status == InvitationBatchStatus.DONE and email_counts(batch) == {"sent": 12}
    sent = AuditEvent.objects.filter(action="recruitment.panel_invitations_sent").order_by("id")
    assert [(e.details["emailed"], e.details["email_failed"]) for e in sent] == [(8, 0), (4, 0)]


def told_another_way(client: Any, forum: Any, batch: InvitationBatch, members: list[Any], how: str) -> Any:
    """The officer ticks ``members`` (ids, or "everyone") and how they told them, on the batch's page."""
    return client.post(
        url("invitations_reached", forum, batch_id=batch.pk), {"members": members, "how": how}, follow=True
    )


def test_members_told_another_way_no_longer_count_as_not_emailed_and_the_page_keeps_how(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    """An address the mail server refuses every time, and an email cut off mid-send (never sent again,
    since it may have gone), kept the warnings up for good: the officer phones or visits them and
    records it, and they are then told, not "not emailed", while the batch page keeps how."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    refused, *cut_off = PanelMember.objects.filter(forum=forum).select_related("respondent")[:3]
    with_mail_server(settings, refused={refused.respondent.email})
    batch = invite_and_send(forum, officer)
    PanelMember.objects.filter(pk__in=[m.pk for m in cut_off]).update(email_status=EmailStatus.SENDING)
    overview, batch_page, panel = (
        url("overview", forum),
        url("invitations", forum, batch_id=batch.pk),
        url("panel", forum),
    )
    assert "3 panel members invited on" in client.get(overview).content.decode()

    nothing_ticked = told_another_way(client, forum, batch, [], "")

    page = nothing_ticked.content.decode()
    assert nothing_ticked.redirect_chain == [] and "<title>Error: Invitations to the panel" in page
    assert "There is a problem" in page
    assert 'href="#id_members_1">Select the members you have told about their invitation another way' in page
    assert 'href="#id_how_1">Select how you told them' in page
    assert not PanelMember.objects.exclude(reached_by="").exists()

    page = told_another_way(client, forum, batch, [refused.pk], ReachedBy.PHONE).content.decode()

    assert "1 member recorded as told by phone" in page and "2 members have not been emailed" in page
    not_emailed = page.split('id="not-emailed"')[1].split("</table>")[0]
    assert refused.respondent.reference not in not_emailed
    assert all(member.respondent.reference in not_emailed for member in cut_off)
    told = page.split('id="reached-another-way"')[1].split("</table>")[0]
    assert refused.respondent.reference in told and "Email not sent" in told and "By phone, " in told
    assert "2 panel members invited on" in client.get(overview).content.decode()
    assert "Not emailed: told by phone" in client.get(panel).content.decode()  # the panel page says how too

    page = told_another_way(client, forum, batch, ["everyone"], ReachedBy.IN_PERSON).content.decode()

    assert "2 members recorded as told in person" in page and "not been emailed" not in page
    told = page.split('id="reached-another-way"')[1].split("</table>")[0]
    assert "Told another way (3)" in told and "By phone, " in told and "In person, " in told
    assert EmailStatus.SENDING.label in told and "3 not emailed but told another way" in page
    assert "not been emailed" not in client.get(overview).content.decode()
    assert "not been emailed" not in client.get(batch_page).content.decode()
    assert ">Email not sent</a>" not in client.get(panel).content.decode()
    events = AuditEvent.objects.filter(action="recruitment.member_reached_another_way").order_by("id")
    assert [(e.target_id, e.details["how"], e.actor) for e in events] == [
        (str(refused.pk), "by phone", officer),
        *((str(member.pk), "in person", officer) for member in cut_off),
    ]
    # Told already, the refused member is not emailed again once the mail server takes the address.
    MailServer.refused = set()
    assert "Sending 0 emails again" in send_again(client, forum, batch) and len(mail.outbox) == 11


def test_a_send_again_counts_members_told_another_way_as_done(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any, monkeypatch: Any
) -> None:
    """The sending stopped part-way and the officer phoned the member whose email was cut off and two of
    those not reached, then pressed "Send again": its progress counted those three as not done, since
    they are never emailed, so it could not reach the end."""
    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    with_mail_server(settings, crash_after=4)
    batch = invite_and_send(forum, officer)
    assert email_counts(batch) == {"sent": 4, "sending": 1, "to_send": 7}
    phoned = [
        *batch.recipients.filter(email_status=EmailStatus.SENDING),
        *batch.recipients.filter(email_status=EmailStatus.TO_SEND)[:2],
    ]
    told_another_way(client, forum, batch, [member.pk for member in phoned], ReachedBy.PHONE)
    MailServer.crash_after = None
    send_messages = EmailBackend.send_messages
    shown: list[str] = []

    def officer_checks_the_page_meanwhile(backend: Any, messages: Any) -> int:
        page = client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
        shown.append(page.split('id="progress-done"')[1].split("</p>")[0].split(">")[-1])
        return send_messages(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", officer_checks_the_page_meanwhile)

    assert "Sending 5 emails again" in send_again(client, forum, batch)

    # 4 emailed and 3 told before; each email counts as it goes (the one on its way is not done yet).
    assert shown == [f"{done} of 12 members done." for done in range(7, 12)]
    assert len(mail.outbox) == 9
    batch.refresh_from_db()
    progress = panel_invitations.batch_progress(batch, timezone.now())
    assert progress.handled == 12 and progress.percent == 100 and not progress.can_send_again


def test_who_was_told_another_way_waits_while_the_batch_is_being_sent(
    signed_in_client: Any, pool: Any, officer: Any, settings: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    respondent, batch = invite_with_one_address_refused(forum, officer, settings)
    refused = PanelMember.objects.get(respondent=respondent)
    assert 'id="record-reached"' in client.get(url("invitations", forum, batch_id=batch.pk)).content.decode()
    InvitationBatch.objects.filter(pk=batch.pk).update(status=InvitationBatchStatus.SENDING)  # a colleague's

    page = told_another_way(client, forum, batch, [refused.pk], ReachedBy.PHONE).content.decode()

    assert "Wait for them to finish before recording who you told another way" in page
    assert 'id="record-reached"' not in page
    assert not PanelMember.objects.exclude(reached_by="").exists()
    with pytest.raises(panel_invitations.InvitationsBusy):  # as when it starts while the form is sent
        panel_invitations.record_reached(batch, officer, [refused.pk], ReachedBy.PHONE)


def test_only_those_who_see_the_members_contact_details_record_who_was_told_another_way(
    signed_in_client: Any, pool: Any, officer: Any, user_with_role: Any, settings: Any
) -> None:
    forum = pool[0].forum
    respondent, batch = invite_with_one_address_refused(forum, officer, settings)
    refused = PanelMember.objects.get(respondent=respondent)
    facilitator = signed_in_client(user_with_role("facilitator", forum))

    response = facilitator.post(
        url("invitations_reached", forum, batch_id=batch.pk), {"members": [refused.pk], "how": "phone"}
    )

    assert response.status_code == 403 and not PanelMember.objects.exclude(reached_by="").exists()


def test_panel_letters_tell_members_how_to_reply_by_phone_and_print_the_reply_address_whole(
    pool: Any, officer: Any
) -> None:
    """The letters to members chosen said 'Or call us ... and we will register you', though they had
    registered already, and set the reply address beside 'or call us' so small that the line was cut
    short ('... or call …')."""
    forum = pool[0].forum
    RecruitmentSettings.objects.update_or_create(forum=forum, defaults={"phone": "01632 960 123"})
    publish_selection(forum, officer, seed="s")
    reply_url = "https://forum.northam.gov.uk/forums/town-centre-future/panel/reply/"
    batch = panel_invitations.invite_selected(forum, officer, reply_url, "18 December 2026")
    assert batch is not None
    tasks.start(tasks.send_invitations, batch.pk)
    batch.refresh_from_db()

    letter = PdfReader(batch.letters).pages[0].extract_text()

    assert "register you" not in letter and "…" not in letter
    assert "Or call us on 01632 960 123 and give us your reference." in letter
    assert f"Go to {reply_url}\n" in letter


def test_an_invitation_email_greets_the_member_by_name_and_says_which_council_wrote(
    pool: Any, officer: Any
) -> None:
    """Each email began 'Dear panel member,' though it goes to one person whose name we hold, and ended
    with the phone number: nothing said who wrote it, and the sender may be a no-reply address."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="s")
    batch = invite_and_send(forum, officer)
    names = {member.respondent.email: member.respondent.full_name for member in batch.recipients.all()}

    for message in mail.outbox:
        assert message.body.startswith(f"Dear {names[message.to[0]]},\n\nThank you for registering.")
        assert message.body.endswith(f"\n\n{forum.council.name}")
    letter = PdfReader(batch.letters).pages[0].extract_text()
    assert "Dear panel member," in letter  # one text for every letter: the address block names them


def test_panel_letters_sent_just_after_midnight_in_british_summer_time_are_named_by_that_day(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """At 00:30 in London on 1 August the UTC time is still 23:30 on 31 July: the letters' file, and the
    download, were named '20260731-233000', a day before the date printed on the letters."""
    from datetime import UTC, datetime

    forum, client = pool[0].forum, signed_in_client(officer)
    publish_selection(forum, officer, seed="s")
    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, "1 May")
    assert batch is not None
    InvitationBatch.objects.filter(pk=batch.pk).update(created_at=datetime(2026, 7, 31, 23, 30, tzinfo=UTC))
    tasks.start(tasks.send_invitations, batch.pk)
    batch.refresh_from_db()

    assert Path(batch.letters).name == f"panel-letters-20260801-003000-{batch.pk}.pdf"
    download = client.get(url("panel_letters", forum))
    expected = f"{forum.slug}-panel-letters-20260801-003000-{batch.pk}.pdf"
    assert f'filename="{expected}"' in download["Content-Disposition"]
