"""Recruitment URLs in the site-wide role matrix (merged by tests/web/url_walk.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from tests.web.role_matrix import EVERYONE, FORUM_MANAGERS, LOGIN, ROLES, row

POOL_VIEWERS = row(LOGIN, 403, 403, 403, 200, 403, 200, 200, 200)
POST_ONLY = row(*[405] * len(ROLES))
EVERYONE_REDIRECTED = row(*[302] * len(ROLES))

EXPECTED: dict[str, dict[str, object]] = {
    "recruitment:overview": POOL_VIEWERS,
    "recruitment:upload_addresses": FORUM_MANAGERS,
    "recruitment:remove_address_list": POST_ONLY,
    "recruitment:settings": FORUM_MANAGERS,
    "recruitment:questions": FORUM_MANAGERS,
    "recruitment:remove_question": FORUM_MANAGERS,
    "recruitment:change_question": FORUM_MANAGERS,
    "recruitment:question_special_category": FORUM_MANAGERS,
    "recruitment:answer_again_csv": FORUM_MANAGERS,
    "recruitment:answer_again_emails": POST_ONLY,
    "recruitment:record_answer_again": FORUM_MANAGERS,
    "recruitment:draw_lottery": FORUM_MANAGERS,
    "recruitment:lottery": FORUM_MANAGERS,
    "recruitment:lottery_file": row(LOGIN, 403, 403, 403, 403, 403, 404, 404, 404),  # letters not generated
    "recruitment:quotas": FORUM_MANAGERS,
    "recruitment:start_selection": FORUM_MANAGERS,
    "recruitment:run": FORUM_MANAGERS,
    "recruitment:panel": FORUM_MANAGERS,
    "recruitment:member_status": POST_ONLY,
    "recruitment:member_decline": FORUM_MANAGERS,
    "recruitment:member_put_back": POST_ONLY,
    "recruitment:member_support": FORUM_MANAGERS,
    "recruitment:invite_panel": FORUM_MANAGERS,
    "recruitment:invitations": FORUM_MANAGERS,
    "recruitment:invitations_reached": POST_ONLY,
    "recruitment:panel_letters": row(LOGIN, 403, 403, 403, 403, 403, 404, 404, 404),  # none sent yet
    "recruitment:panel_reply": EVERYONE,
    "recruitment:panel_replied": EVERYONE_REDIRECTED,  # no reply sent from this browser: to the form
    "recruitment:respondents": FORUM_MANAGERS,
    "recruitment:respondents_contacts_csv": FORUM_MANAGERS,
    "recruitment:respondents_answers_csv": FORUM_MANAGERS,
    "recruitment:panel_csv": FORUM_MANAGERS,
    "recruitment:withdraw": FORUM_MANAGERS,
    "recruitment:correct_details": FORUM_MANAGERS,
    "recruitment:phone_registration": row(LOGIN, 403, 403, 403, 403, 403, 302, 302, 302),
    "recruitment:register_start": EVERYONE,
    "recruitment:privacy": EVERYONE,
    "recruitment:register_check": EVERYONE_REDIRECTED,  # nothing answered yet: back to the first step
    "recruitment:register_done": EVERYONE_REDIRECTED,
    "recruitment:register_step": EVERYONE,
    "recruitment:selection_record": EVERYONE,
    "recruitment:selection_distribution": EVERYONE,
    "recruitment:selection_selected": EVERYONE,
    "recruitment:withdraw_public": EVERYONE,
    "recruitment:withdrawn": EVERYONE_REDIRECTED,  # nobody withdrew from this browser: to the form
    "recruitment:answer_again": EVERYONE,
    "recruitment:answer_again_done": EVERYONE_REDIRECTED,  # no answer given from this browser: to the form
}


def url_kwargs(forum: Any) -> dict[str, object]:
    """A forum with open registration, one invitation, one respondent and a published selection run."""
    from civicforum.recruitment.models import (
        Address,
        AddressList,
        Invitation,
        InvitationBatch,
        Lottery,
        PanelMember,
        QuotaQuestion,
        RecruitmentSettings,
        Respondent,
        SelectionRun,
    )

    RecruitmentSettings.objects.create(forum=forum, registration_open=True)
    address_list = AddressList.objects.create(forum=forum, filename="a.csv", address_count=1)
    address = Address.objects.create(
        address_list=address_list, uprn="1", address_line_1="1 Road", postcode="NM1 1AB", ward="North"
    )
    lottery = Lottery.objects.create(forum=forum, address_list=address_list, letters_requested=1, seed="s")
    invitation = Invitation.objects.create(lottery=lottery, address=address, reference=f"L-{forum.pk}")
    respondent = Respondent.objects.create(
        forum=forum,
        invitation=invitation,
        reference=f"R-MATRIX{forum.pk}",
        ward="North",
        registered_at=timezone.now(),
        identity_hash="x",
        full_name="Matrix Person",
        answers={},
    )
    run = SelectionRun.objects.create(
        forum=forum,
        panel_size=1,
        status="done",
        commitment="0" * 64,
        seed="s",
        result={
            "lottery_panels": [["V0001"]],
            "chosen_index": 0,
            "probabilities": {respondent.reference: 1.0},
        },
        published_at=timezone.now(),
    )
    batch = InvitationBatch.objects.create(
        forum=forum, reply_url="https://example.org/reply", reply_by="1 May"
    )
    member = PanelMember.objects.create(forum=forum, run=run, respondent=respondent, invitation_batch=batch)
    question = QuotaQuestion.objects.create(
        forum=forum, key="health", label="Do you have a long-term illness?", special_category=True
    )
    return {
        "question_id": question.pk,
        "question_key": question.key,
        "lottery_id": lottery.pk,
        "list_id": address_list.pk,
        "run_id": run.pk,
        "member_id": member.pk,
        "batch_id": batch.pk,
        "respondent_id": respondent.pk,
        "step": "code",
    }
