"""Demo step: the town-centre forum's civic lottery, ~1,200 synthetic volunteers and a confirmed panel.

Everything goes through the same services the officer uses, so the demo also exercises them. The
panel is drawn with LEXIMIN, the method the selection page recommends, so the published record a
newcomer opens shows a fair draw (the whole demo takes about 6 s with it, as with LEGACY).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from civicforum.core import demo
from civicforum.core.demo import story_date
from civicforum.processes.models import StageKind
from civicforum.recruitment.forms import OVERSAMPLING_WEIGHTS
from civicforum.recruitment.models import MemberStatus, PanelMember, RecruitmentSettings, Respondent
from civicforum.recruitment.services import (
    civic_lottery,
    panel_invitations,
    quotas,
    registration,
    selection,
    synthetic,
)

WARDS = [("Northam Central", 0.30), ("Northam Riverside", 0.25), ("Eastbrook", 0.25), ("Millford", 0.20)]
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Park Avenue",
    "Victoria Road",
    "Queen Street",
    "Brook Close",
]
ADDRESSES = 9_000
LETTERS = 6_000
VOLUNTEERS = 1_200
DEMO_ALGORITHM = "leximin"
SITE = "http://127.0.0.1:8000/forums/town-centre-future/"
REPLY_URL = SITE + "panel/reply/"
SESSIONS = "\n".join(
    f"{story_date(2027, month, day):%A %-d %B %Y}" for month, day in ((1, 16), (1, 30), (2, 13), (2, 27))
)


def address_csv(rng: random.Random) -> bytes:
    rows = ["uprn,address_line_1,address_line_2,town,postcode,ward,deprivation_decile"]
    for index in range(ADDRESSES):
        ward = rng.choices([w for w, _ in WARDS], [s for _, s in WARDS])[0]
        flat = f"Flat {rng.randint(1, 12)}" if rng.random() < 0.3 else ""
        inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFG')}"
        postcode = f"NM{rng.randint(1, 9)} {inward}"
        decile = min(10, max(1, int(rng.gauss(3 if ward == "Northam Central" else 6, 2.5))))
        street = f"{rng.randint(1, 220)} {rng.choice(STREETS)}"
        rows.append(f"{100_000_000 + index},{street},{flat},Northam,{postcode},{ward},{decile}")
    return ("\n".join(rows) + "\n").encode()


@demo.register(order=30)
def populate(ctx: demo.DemoContext) -> None:
    forum = ctx.forum
    if forum.address_lists.exists():
        return
    rng = random.Random(2026)
    officer = ctx.users["officer"]
    RecruitmentSettings.objects.update_or_create(
        forum=forum,
        defaults={
            "registration_open": True,
            "phone": "01632 960 123",
            "session_dates": SESSIONS,
            "retention_until": story_date(2027, 12, 31),
            "quota_slack": 2,
        },
    )
    synthetic.create_questions(forum, WARDS, forum.panel_size)
    address_list = civic_lottery.import_addresses(forum, officer, address_csv(rng), "northam-addresses.csv")
    lottery = civic_lottery.draw_lottery(
        forum, officer, address_list, LETTERS, seed="northam-2026-11", decile_weights=OVERSAMPLING_WEIGHTS
    )
    start, until = registering_between(forum)
    lottery.reply_by = f"{until:%-d %B %Y}"  # the letters ask residents to register by it
    generation = civic_lottery.request_letters(lottery, officer)
    civic_lottery.generate_letters(lottery.pk, SITE + "register/", generation)
    invitations = list(lottery.invitations.select_related("address"))
    responding = [i for i in invitations if rng.random() < 0.05 + 0.02 * (i.address.deprivation_decile or 5)]
    pool = synthetic.populate_pool(forum, responding, VOLUNTEERS, start, rng, until=until)
    phone_registered = [r.pk for r in pool[::40]]
    Respondent.objects.filter(pk__in=phone_registered).update(registered_by=officer)
    quotas.propose_quotas(forum, officer, slack=2)
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)  # the pool is fixed
    # Both steps of a draw: the lottery and its fingerprint first, then the draw code picks a panel.
    run = selection.start_run(forum, officer, DEMO_ALGORITHM)
    selection.execute_run(run.pk)
    run = selection.draw(run, "4 17 23 31 38 45", "Numbers drawn at the public meeting", officer)
    selection.publish(run, officer)
    invite_now(forum, officer, f"{story_date(2026, 12, 18):%-d %B %Y}")
    members = list(PanelMember.objects.filter(run=run).order_by("id"))
    for member in members[:2]:
        selection.set_member_status(member, MemberStatus.DECLINED, officer)
    for member in members[2:]:
        selection.set_member_status(member, MemberStatus.CONFIRMED, officer)
        registration.record_support_needs(member, synthetic.support_needs(rng))
    replacements = selection.start_run(forum, officer, DEMO_ALGORITHM, replacement=True)
    selection.execute_run(replacements.pk)
    replacements = selection.draw(
        replacements, "9 12 26 33 40 47", "Numbers drawn at the forum's first meeting", officer
    )
    invite_now(forum, officer, f"{story_date(2026, 12, 22):%-d %B %Y}")
    for member in PanelMember.objects.filter(run=replacements):
        selection.set_member_status(member, MemberStatus.CONFIRMED, officer)
    # Open again so that visitors to the demo can try registering with the code printed below.
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)
    unused = lottery.invitations.filter(respondents__isnull=True).order_by("reference").first()
    code = civic_lottery.issue_code(unused) if unused else "(none left)"
    ctx.out(
        f"Recruitment: {ADDRESSES:,} addresses, {LETTERS:,} letters, {len(pool):,} volunteers, "
        f"panel of {len(members)} confirmed with 2 replacements. Officer pages: "
        f"/staff/forums/{forum.slug}/recruitment/ ; try registering at /forums/{forum.slug}/register/ "
        f"with the code {code}"
    )


def registering_between(forum: Any) -> tuple[datetime, datetime]:
    """When the demo's volunteers register: from the third day of the Recruitment stage (the letters
    have arrived) to its last day at 5pm, so that nobody registers after registration closed, nor
    after the demo's today, the Selection stage."""
    stage = forum.stages.get(kind=StageKind.RECRUITMENT)
    start = datetime.combine(stage.starts_on + timedelta(days=3), time(9), tzinfo=UTC)
    return start, datetime.combine(stage.ends_on, time(17), tzinfo=UTC)


def invite_now(forum: Any, officer: Any, reply_by: str) -> None:
    """Invite the selected members and send at once (as the selection runs here are computed at once):
    the demo runs in one transaction, which a sending queued or in a thread would not see."""
    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, reply_by)
    assert batch is not None
    panel_invitations.send_batch(batch.pk)
