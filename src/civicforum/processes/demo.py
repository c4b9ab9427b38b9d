"""Foundation demo step: Northam Borough Council, three forums, one staff user per role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from civicforum.core import audit, demo
from civicforum.core.demo import story_date
from civicforum.core.models import Role
from civicforum.core.roles import grant_role, make_council_admin
from civicforum.processes.models import Council, Forum, Stage, StageKind

TOWN_CENTRE_STAGES = {
    StageKind.DESIGN: (
        story_date(2026, 7, 1),
        story_date(2026, 10, 2),
        "An advisory group of traders, residents' associations, the bus operator and disability groups "
        "agreed the question, the evidence plan and how the council will respond.",
    ),
    StageKind.RECRUITMENT: (
        story_date(2026, 10, 5),
        story_date(2026, 11, 6),
        "Invitations go to 6,000 randomly chosen addresses across the four town-centre wards, with more "
        "letters to areas where fewer people usually reply. Anyone who receives a letter can register "
        "online, by phone or on paper.",
    ),
    StageKind.SELECTION: (
        story_date(2026, 11, 9),
        story_date(2026, 11, 27),
        "A panel of 60 residents is drawn from everyone who registered so that it reflects Northam by age, "
        "gender, ethnicity, ward and disability.",
    ),
    StageKind.DELIBERATION: (
        story_date(2027, 1, 16),
        story_date(2027, 3, 13),
        "Four Saturday sessions at Northam Library and online: hearing from traders, planners and young "
        "people, asking questions, and working through options at facilitated tables.",
    ),
    StageKind.RECOMMENDATIONS: (
        story_date(2027, 3, 13),
        story_date(2027, 3, 27),
        "Members draft and vote on their recommendations. Those with at least 80% support go to the council.",
    ),
    StageKind.COUNCIL_RESPONSE: (
        story_date(2027, 4, 1),
        story_date(2027, 6, 30),
        "The cabinet publishes a response to every recommendation within three months, saying what it will "
        "do, by when, and why if not.",
    ),
    StageKind.EVALUATION: (
        story_date(2027, 7, 1),
        story_date(2027, 9, 30),
        "An independent evaluator reports on who took part, what members thought of the process and what "
        "changed.",
    ),
}

TRANSPORT_STAGES = {
    StageKind.DESIGN: (
        story_date(2026, 10, 1),
        story_date(2026, 12, 18),
        "The council is agreeing the question with an advisory group of bus users, cyclists, hauliers, "
        "schools and the chamber of commerce, and commissioning balanced evidence on each option.",
    ),
    StageKind.RECRUITMENT: (
        story_date(2027, 1, 11),
        story_date(2027, 2, 12),
        "Invitations will go to 8,000 addresses across the borough.",
    ),
    StageKind.SELECTION: (
        story_date(2027, 2, 15),
        story_date(2027, 2, 19),
        "A panel of 60 residents will be drawn.",
    ),
    StageKind.DELIBERATION: (
        story_date(2027, 3, 6),
        story_date(2027, 6, 12),
        "Eight sessions, alternating between the town hall and online.",
    ),
    StageKind.RECOMMENDATIONS: (story_date(2027, 6, 12), story_date(2027, 6, 26), ""),
    StageKind.COUNCIL_RESPONSE: (story_date(2027, 7, 1), story_date(2027, 9, 30), ""),
    StageKind.EVALUATION: (story_date(2027, 10, 1), story_date(2027, 10, 31), ""),
}

WASTE_STAGES = {
    StageKind.DESIGN: (
        story_date(2025, 2, 1),
        story_date(2025, 3, 31),
        "The question was set with the waste contractor, residents' groups and a zero-waste charity.",
    ),
    StageKind.RECRUITMENT: (
        story_date(2025, 4, 1),
        story_date(2025, 4, 30),
        "5,000 invitations were sent; 312 people registered (6.2%).",
    ),
    StageKind.SELECTION: (
        story_date(2025, 5, 6),
        story_date(2025, 5, 6),
        "40 members were drawn to match the borough by age, gender, ethnicity, tenure and ward.",
    ),
    StageKind.DELIBERATION: (
        story_date(2025, 6, 7),
        story_date(2025, 7, 19),
        "Four weekends. 37 of the 40 members took part to the end.",
    ),
    StageKind.RECOMMENDATIONS: (
        story_date(2025, 7, 19),
        story_date(2025, 7, 19),
        "14 recommendations reached the 80% support threshold, including weekly food waste collections.",
    ),
    StageKind.COUNCIL_RESPONSE: (
        story_date(2025, 8, 1),
        story_date(2025, 10, 31),
        "The council accepted 11 recommendations in full, 2 in part and explained why it rejected 1.",
    ),
    StageKind.EVALUATION: (
        story_date(2025, 11, 1),
        story_date(2025, 12, 19),
        "The independent evaluation found members felt heard and the council changed its waste strategy.",
    ),
}

FORUMS = [
    {
        "slug": demo.MAIN_FORUM_SLUG,
        "title": "Town centres forum",
        "question": "How should we shape the future of our town centres?",
        "area": "Northam, Eastbrook and Millford town-centre wards",
        "summary": "Shops have closed, footfall has fallen and the council must decide how to use its "
        "regeneration budget. Sixty residents chosen by lottery will spend six days learning, "
        "discussing and recommending what Northam's town centres should become over the next ten years.",
        "starts_on": story_date(2026, 7, 1),
        "ends_on": story_date(2027, 9, 30),
        "panel_size": 60,
        "current_stage": StageKind.SELECTION,
    },
    {
        "slug": "transport-and-congestion",
        "title": "Transport and congestion forum",
        "question": "How can we make it easier to get around Northam while cutting congestion and pollution?",
        "area": "The whole borough",
        "summary": "Traffic on the ring road and school-run congestion are the most common complaints the "
        "council receives. A panel of 60 residents will weigh up bus improvements, road charging and "
        "safer cycling routes.",
        "starts_on": story_date(2026, 10, 1),
        "ends_on": story_date(2027, 10, 31),
        "panel_size": 60,
        "current_stage": StageKind.DESIGN,
    },
    {
        "slug": "waste-and-recycling",
        "title": "Waste and recycling forum",
        "question": "How should Northam reduce waste and recycle more?",
        "area": "The whole borough",
        "summary": f"Forty residents met over four weekends in {story_date(2025, 5, 6).year} and made 14 "
        "recommendations, including "
        "weekly food waste collections. The council accepted 11 and has reported on progress.",
        "starts_on": story_date(2025, 2, 1),
        "ends_on": story_date(2025, 12, 19),
        "panel_size": 40,
        "current_stage": StageKind.EVALUATION,
    },
]

STAGES_BY_FORUM = {
    demo.MAIN_FORUM_SLUG: TOWN_CENTRE_STAGES,
    "transport-and-congestion": TRANSPORT_STAGES,
    "waste-and-recycling": WASTE_STAGES,
}

STAFF = {
    "council-admin": ("Priya", "Shah", None),
    "officer": ("Tom", "Okafor", Role.OFFICER),
    "facilitator": ("Grace", "Lewis", Role.FACILITATOR),
    "evaluator": ("Dr Sam", "Reid", Role.EVALUATOR),
    "panel-member": ("Alan", "Hughes", Role.PANEL_MEMBER),
    "participant": ("Beth", "Morgan", Role.PARTICIPANT),
}


def _user(username: str, first: str, last: str, **extra: Any) -> Any:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@northam.example", **extra},
    )
    if created:
        user.set_password(demo.DEMO_PASSWORD)
        user.save()
    return user


@demo.register(order=0)
def populate(ctx: demo.DemoContext) -> None:
    council, _ = Council.objects.get_or_create(
        slug="northam", defaults={"name": "Northam Borough Council", "website": "https://northam.example"}
    )
    ctx.council = council
    ctx.users["admin"] = _user("admin", "Demo", "Superuser", is_staff=True, is_superuser=True)
    for username, (first, last, _role) in STAFF.items():
        ctx.users[username] = _user(username, first, last)
    for spec in FORUMS:
        forum, created = Forum.objects.get_or_create(slug=spec["slug"], defaults={**spec, "council": council})
        if created:
            for kind, (starts_on, ends_on, summary) in STAGES_BY_FORUM[forum.slug].items():
                Stage.objects.create(
                    forum=forum, kind=kind, starts_on=starts_on, ends_on=ends_on, summary=summary
                )
            audit.record(ctx.users["officer"], "forum.created", forum=forum, target=forum, title=forum.title)
        ctx.forums[forum.slug] = forum
    make_council_admin(ctx.users["council-admin"], council)
    for username, (_first, _last, role) in STAFF.items():
        for forum in ctx.forums.values():
            if role is not None:
                grant_role(ctx.users[username], forum, role)
    ctx.out(f"Council '{council.name}' with forums: {', '.join(ctx.forums)}")
