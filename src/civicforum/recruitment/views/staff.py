"""The officer's journey: addresses, lottery, letters, quotas, selection, panel. Rules live in services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicforum.core import audit
from civicforum.core.addresses import public_address
from civicforum.core.downloads import csv_attachment
from civicforum.core.error_summary import ErrorItem, form_errors
from civicforum.core.permissions import forum_permission_required
from civicforum.processes.models import StageKind
from civicforum.recruitment import forms, tasks
from civicforum.recruitment.models import (
    ABOUT_THE_PERSON,
    COMPUTING,
    AddressList,
    InvitationBatch,
    LetterStatus,
    Lottery,
    MemberStatus,
    PanelMember,
    QuotaQuestion,
    ReachedBy,
    Respondent,
    RespondentStatus,
    RunStatus,
    SelectionRun,
    addresses,
)
from civicforum.recruitment.services import (
    answer_again,
    civic_lottery,
    export,
    feasibility,
    panel_invitations,
    privacy,
    quotas,
    registration,
    selection,
)
from civicforum.recruitment.services.charts import Bar, bar_chart, histogram
from civicforum.recruitment.services.engine import ALGORITHMS
from civicforum.recruitment.services.letters import (
    LetterTooLong,
    ReplyByTooLong,
    WebAddressTooLong,
    check_fits,
)
from civicforum.recruitment.services.lottery import LotteryError
from civicforum.recruitment.services.next_step import next_step
from civicforum.recruitment.services.problems import FileRejected, ShownProblems, shown_problems
from civicforum.recruitment.views.common import (
    MANAGE,
    PERSONAL,
    closed_after_purge,
    forum_of,
    gone_after_purge,
    page_to_return_to,
    redirect_back,
    request_settings,
    save_registration_state,
    settings_for,
)
from civicforum.selection.disclosure import EXPLANATION
from civicforum.wording import counted


@forum_permission_required("recruitment.view_pool_dashboard")
def overview(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The pool dashboard: every step's status, responses by ward and week, pool against targets.

    Evaluators may not see personal data, so small counts (and any that would give one away) are
    withheld from them as on public pages; officers see every count.
    """
    forum = forum_of(request)
    settings_row = settings_for(forum)
    questions = quotas.questions_with_categories(forum)
    stats = privacy.pool_figures(forum, settings_row, questions)
    exact = request.user.has_perm(PERSONAL, forum)
    composition = []
    registered = stats["registered"] or 1
    for question in questions:
        options = quotas.answer_options(question)
        counts = [stats["by_answer"].get(question.key, {}).get(option.key, 0) for option in options]
        rows = []
        for option, count, shown in zip(options, counts, privacy.visible_counts(counts, exact), strict=True):
            share = float(option.population_share) if option.population_share is not None else None
            rows.append(
                {
                    "label": option.label,
                    "count": shown,
                    "pool_percent": round(100 * count / registered, 1) if shown.isdigit() else None,
                    "target_percent": None if share is None else round(100 * share, 1),
                }
            )
        chart = bar_chart(
            [
                Bar(
                    r["label"],
                    r["pool_percent"] or 0,
                    r["target_percent"],
                    _percent_or(r["pool_percent"], r["count"]),
                )
                for r in rows
            ]
        )
        composition.append({"question": question, "rows": rows, "chart": chart})
    wards = privacy.response_by_ward(forum, stats["by_ward"])
    ward_people = privacy.visible_counts([people for _ward, people, _letters, _rate in wards], exact)
    ward_response = [
        (ward, shown, letters, rate if shown.isdigit() else None)
        for (ward, _people, letters, rate), shown in zip(wards, ward_people, strict=True)
    ]
    weeks = [privacy.week_label(week) for week in stats["by_week"]]
    week_rows = list(zip(weeks, privacy.visible_counts(list(stats["by_week"].values()), exact), strict=True))
    can_manage = request.user.has_perm(MANAGE, forum)
    anyone = bool(stats["registered"] or stats["withdrawn"])  # registered, even if withdrawn since
    run = selection.latest_run(forum)
    latest_list = forum.address_lists.first()
    lotteries = list(forum.lotteries.all()[:5])  # the latest first
    context = {
        "forum": forum,
        "stats": stats,
        "settings": settings_row,
        "purged_at": settings_row.purged_at,
        "deletion": privacy.scheduled_deletion(settings_row),
        # Labelled with the purge date already read (the list's own str() would read it again).
        "address_list": latest_list.label(settings_row.purged_at) if latest_list else "",
        "lotteries": [(lot, addresses(lot.letters_requested)) for lot in lotteries],
        "run": run,
        "ward_chart": bar_chart([_count_bar(ward, shown) for ward, shown, _letters, _rate in ward_response]),
        "ward_response": ward_response,
        "week_chart": bar_chart([_count_bar(week, shown) for week, shown in week_rows]),
        "week_rows": week_rows,
        "withheld": None if exact else EXPLANATION,
        "composition": composition,
        "can_manage": can_manage,
        "next_step": next_step(
            forum,
            settings_row.registration_open,
            run,
            anyone,
            has_questions=bool(questions),
            has_address_list=latest_list is not None,
            lottery=lotteries[0] if lotteries else None,
        )
        if can_manage
        else None,
        "not_emailed": panel_invitations.not_emailed_by_batch(forum, timezone.now()) if can_manage else [],
    }
    return render(request, "recruitment/overview.html", context)


def _percent_or(percent: float | None, withheld: str) -> str:
    return withheld if percent is None else f"{percent}%"


def _count_bar(label: str, shown: str) -> Bar:
    """A bar for a count as the viewer may see it (a withheld count draws no bar, only its words)."""
    return Bar(label, int(shown) if shown.isdigit() else 0, shown=intcomma(shown))


@forum_permission_required(MANAGE)
@closed_after_purge()
def upload_addresses(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = forum_of(request)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    problems: ShownProblems | None = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            address_list = civic_lottery.import_addresses(forum, request.user, upload.read(), upload.name)
        except FileRejected as rejected:
            problems = shown_problems(rejected, form["file"].auto_id)
            form.add_error("file", problems.field_error)
        else:
            wards = counted(len(civic_lottery.addresses_by_ward(address_list)), "ward", "wards")
            messages.success(request, f"{addresses(address_list.address_count)} imported in {wards}")
            return redirect("recruitment:draw_lottery", forum_slug=forum.slug)
    lists = forum.address_lists.annotate(
        drawn_from=Exists(Lottery.objects.filter(address_list=OuterRef("pk")))
    )
    context = {"forum": forum, "form": form, "problems": problems, "address_lists": lists}
    return render(request, "recruitment/upload_addresses.html", context)


@require_POST
@forum_permission_required(MANAGE)
@closed_after_purge()
def remove_address_list(request: HttpRequest, forum_slug: str, list_id: int) -> HttpResponse:
    """Remove a list uploaded by mistake (the wrong area, an old export), so no draw can use it."""
    forum = forum_of(request)
    address_list = get_object_or_404(AddressList, forum=forum, pk=list_id)
    try:
        civic_lottery.remove_address_list(address_list, request.user)
    except civic_lottery.LotteryError as kept:
        messages.error(request, str(kept))
    else:
        messages.success(request, f"‘{address_list.filename}’ removed, with its addresses")
    return redirect("recruitment:upload_addresses", forum_slug=forum.slug)


@forum_permission_required(MANAGE)
@closed_after_purge()
def draw_lottery(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = forum_of(request)
    form = forms.LotteryForm(request.POST or None, forum=forum)
    adults = request_settings(request).adults_per_household
    seen = request.POST.get("seen_latest", "")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lottery = civic_lottery.draw_lottery(
                forum,
                request.user,
                data["address_list"],
                data["letters"],
                seed=data["seed"],
                decile_weights=forms.OVERSAMPLING_WEIGHTS if data["oversample_deprived"] else None,
                adults_per_household=adults,
                seen_latest=int(seen) if seen.isascii() and seen.isdigit() else None,
            )
        except civic_lottery.LotteryAlreadyDrawn as drawn:
            messages.error(
                request, f"{drawn}. This is that draw: to send a second mailing, draw the lottery again."
            )
            return redirect("recruitment:lottery", forum_slug=forum.slug, lottery_id=drawn.lottery.pk)
        except LotteryError as error:
            form.add_error("letters", str(error))
        else:
            drawn = addresses(lottery.letters_requested)
            messages.success(request, f"{drawn} drawn with seed {lottery.seed}")
            return redirect("recruitment:lottery", forum_slug=forum.slug, lottery_id=lottery.pk)
    invited = civic_lottery.already_invited_count(forum)
    latest = forum.lotteries.order_by("-pk").values_list("pk", flat=True).first()
    latest_list = next(iter(form.address_lists), None)  # the newest: the lists the form has read, in order
    context = {
        "forum": forum,
        "form": form,
        "invited": invited,
        "adults": adults,
        "seen_latest": latest or 0,
        "latest_list": latest_list,
        "wards": civic_lottery.addresses_by_ward(latest_list) if latest_list else [],
    }
    return render(request, "recruitment/draw_lottery.html", context)


def _lottery(forum: Any, lottery_id: int) -> Lottery:
    return get_object_or_404(Lottery.objects.select_related("forum__council"), forum=forum, pk=lottery_id)


@forum_permission_required(MANAGE)
@closed_after_purge(reading_allowed=True)  # the addresses are gone: no letters to write
def lottery_detail(request: HttpRequest, forum_slug: str, lottery_id: int) -> HttpResponse:
    forum = forum_of(request)
    lottery = _lottery(forum, lottery_id)
    initial = {"heading": lottery.letter_heading, "body": lottery.letter_body, "reply_by": lottery.reply_by}
    settings_row = request_settings(request)
    blocker = civic_lottery.letters_blocker(forum, settings_row)
    form = forms.LetterForm(
        request.POST or None,
        request.FILES or None,
        initial={k: v for k, v in initial.items() if v},
        logo_saved=bool(settings_row.logo),
        regenerating=lottery.letters_status == LetterStatus.READY,
    )
    if request.method == "POST" and blocker is None and form.is_valid():
        if form.cleaned_data.get("logo"):
            settings_row.logo = form.cleaned_data["logo"].read()
            settings_row.save(update_fields=["logo"])
            form.set_logo_saved(True)  # kept if the letter does not fit and the page is shown again
        lottery.letter_heading = form.cleaned_data["heading"]
        lottery.letter_body = form.cleaned_data["body"]
        lottery.reply_by = form.cleaned_data["reply_by"]
        url = public_address(
            request, reverse("recruitment:register_start", kwargs={"forum_slug": forum.slug})
        )
        design = civic_lottery.letter_design(lottery, url)
        try:
            check_fits(design)
        except LetterTooLong as error:  # the text is the officer's; the web address is not
            form.add_error(None if isinstance(error, WebAddressTooLong) else "body", str(error))
        else:
            if request.POST.get("action") == "preview":
                response = HttpResponse(civic_lottery.preview_letter(design), content_type="application/pdf")
                response["Content-Disposition"] = 'inline; filename="letter-preview.pdf"'
                return response
            if problems := civic_lottery.unprintable_addresses(lottery):  # before any code changes
                form.add_error(None, civic_lottery.unprintable_message(problems))
            else:
                try:
                    generation = civic_lottery.request_letters(lottery, request.user)
                except civic_lottery.LettersBusy as busy:
                    messages.error(request, str(busy))
                else:
                    tasks.start(tasks.generate_letters, lottery.pk, url, generation)
                return redirect("recruitment:lottery", forum_slug=forum.slug, lottery_id=lottery.pk)
    lottery.refresh_from_db()
    stuck = lottery.letters_look_stuck(timezone.now())
    context = {
        "forum": forum,
        "lottery": lottery,
        "form": form,
        "in_progress": lottery.letters_status == LetterStatus.RUNNING and not stuck,
        "stuck": stuck,
        "letters_done": (
            f"{lottery.letters_done:,} of {lottery.letters_requested:,} letters "
            f"({lottery.percent_done}% done)."
        ),
        "wards": sorted(lottery.letters_per_ward.items()),
        "wards_full": civic_lottery.wards_every_address_sent(lottery) if lottery.decile_weights else [],
        "purged_at": settings_row.purged_at,
        "blocker": blocker,
        # printed on every letter: an officer browsing on an internal host name sees it before printing
        "letter_url": public_address(
            request, reverse("recruitment:register_start", kwargs={"forum_slug": forum.slug})
        ),
    }
    return render(request, "recruitment/lottery.html", context)


@never_cache  # personal data: no copy kept by the browser (a shared computer) or a proxy
@forum_permission_required(MANAGE)
@gone_after_purge
def lottery_file(request: HttpRequest, forum_slug: str, lottery_id: int, kind: str) -> FileResponse:
    """Download the letters or the mailing CSV (they hold live codes, so every download is logged)."""
    forum = forum_of(request)
    lottery = _lottery(forum, lottery_id)
    stored = {"letters.pdf": lottery.letters_pdf, "mailing.csv": lottery.mailing_csv}.get(kind)
    if not stored or not Path(stored).exists():
        raise Http404("No such file")
    audit.record(request.user, "recruitment.letters_downloaded", forum=forum, target=lottery, file=kind)
    return FileResponse(open(stored, "rb"), as_attachment=True, filename=f"{forum.slug}-{lottery.pk}-{kind}")


@forum_permission_required(MANAGE)
@closed_after_purge(reading_allowed=True)
def quota_settings(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Population shares and min/max per category, the proposal from shares, and a live feasibility check.

    Not while a draw reads the quotas; after a panel is drawn, the officer confirms it keeps its quotas."""
    forum = forum_of(request)
    kept = request_settings(request)  # read once for the request by ``closed_after_purge``
    slack_form = forms.SlackForm(initial={"slack": kept.quota_slack})
    upload_form = forms.UploadForm()
    problems: ShownProblems | None = None
    action = request.POST.get("action")
    tables = quotas.quota_tables(forum, request.POST if action == "save" else None)
    errors = quotas.quota_errors(tables)
    drawn_with = selection.quotas_drawn_with(forum)
    confirm = {
        name: forms.QuotaChangeForm(request.POST if action == name else None, prefix=name)
        for name in ("save", "propose")
        if drawn_with
    }
    confirmed = action not in confirm or confirm[action].is_valid()
    try:
        if request.method == "POST" and action == "propose":
            slack_form = forms.SlackForm(request.POST)
            if slack_form.is_valid() and confirmed:
                quotas.propose_quotas(forum, request.user, slack_form.cleaned_data["slack"])
                messages.success(request, "Quotas proposed from the population shares")
                return redirect("recruitment:quotas", forum_slug=forum.slug)
        elif request.method == "POST" and action == "import":
            upload_form = forms.UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                upload = upload_form.cleaned_data["file"]
                try:
                    count = quotas.import_shares_csv(forum, request.user, upload.read(), upload.name)
                except FileRejected as rejected:
                    problems = shown_problems(rejected, upload_form["file"].auto_id)
                    upload_form.add_error("file", problems.field_error)
                else:
                    messages.success(request, f"Population shares set for {count} categories")
                    return redirect("recruitment:quotas", forum_slug=forum.slug)
        elif request.method == "POST" and action == "save" and not errors and confirmed:
            quotas.save_quota_tables(forum, request.user, tables)
            messages.success(request, "Quotas saved")
            return redirect("recruitment:quotas", forum_slug=forum.slug)
    except quotas.QuotasInUse:
        pass  # the page says why, with a link to the draw
    instance = quotas.build_instance(forum)
    diagnosis = feasibility.explain(forum, instance) if instance.people else None
    if not kept.purged_at:
        tables = quotas.with_pool_counts(tables, instance)
    # Once the data is deleted, the page shows the figures kept then, and offers nothing to change.
    context = {
        "forum": forum,
        "purged_at": kept.purged_at,
        "kept_registered": kept.retained_aggregates.get("registered", 0),
        "targets": selection.panel_against_targets(forum) if kept.purged_at else [],
        "tables": tables,
        "slack_form": slack_form,
        "upload_form": upload_form,
        "problems": problems,
        "error_summary": form_errors(*confirm.values(), slack_form, upload_form)
        + [ErrorItem(box.error, box.id) for box in errors],
        "share_warnings": quotas.share_total_warnings(tables),
        "pool_size": len(instance.people),
        "diagnosis": diagnosis,
        "pool_too_small": bool(diagnosis and diagnosis.pool_too_small),
        "blocker": quotas.change_blocker(forum),
        "run": selection.latest_run(forum),
        "drawn_with": drawn_with,
        "confirm_save": confirm.get("save"),
        "confirm_propose": confirm.get("propose"),
    }
    return render(request, "recruitment/quotas.html", context)


@forum_permission_required(MANAGE)
def start_selection(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = forum_of(request)
    form = forms.RunForm(request.POST or None)
    replacement = request.GET.get("replacements") == "1" or request.POST.get("replacements") == "1"
    blocker = selection.draw_blocker(forum, replacement)
    # As the quotas page says: a whole panel the quotas cannot give is explained before starting (a
    # replacement draw relaxes the quotas it cannot meet, and says which).
    instance = None if blocker or replacement else quotas.build_instance(forum)
    diagnosis = feasibility.explain(forum, instance) if instance else None
    blocked = blocker is not None or bool(diagnosis and diagnosis.blocks_draw)
    if request.method == "POST" and form.is_valid() and not blocked:
        try:
            run = selection.start_run(forum, request.user, form.cleaned_data["algorithm"], replacement)
        except selection.RunInProgress as busy:
            messages.error(request, f"{busy}. This is its progress; start another once it has finished.")
            return redirect("recruitment:run", forum_slug=forum.slug, run_id=busy.run.pk)
        tasks.start(tasks.run_selection, run.pk)
        return redirect("recruitment:run", forum_slug=forum.slug, run_id=run.pk)
    context = {
        "forum": forum,
        "form": form,
        "replacement": replacement,
        "to_fill": selection.places_to_fill(forum),
        # Who the draw chooses from, shown only when it can start (a full draw's blocker leaves no instance).
        "pool_size": (
            quotas.replacements_drawn_from(forum) if replacement else len(instance.people) if instance else 0
        ),
        "blocker": blocker,
        "diagnosis": diagnosis,
        "pool_too_small": bool(diagnosis and diagnosis.pool_too_small),
        "purged_at": settings_for(forum).purged_at,
        # A draw nobody was told of (else ``blocker``), which starting again deletes.
        "replaces": None if replacement or blocker else selection.current_draw(forum),
        "waiting": None if blocker else selection.waiting_for_code(forum),
    }
    return render(request, "recruitment/start_selection.html", context)


@forum_permission_required(MANAGE)
def run_detail(request: HttpRequest, forum_slug: str, run_id: int) -> HttpResponse:
    forum = forum_of(request)
    run = get_object_or_404(SelectionRun, forum=forum, pk=run_id)
    if request.method == "POST" and "set_aside" in request.POST:

        def set_aside() -> str:
            selection.set_aside(run, request.user)
            return "The lottery has been set aside: no panel was drawn from it"

        return _run_button(request, run, set_aside, selection.DrawRefused)
    drawing = request.method == "POST" and "code" in request.POST
    draw_form = forms.DrawForm(request.POST if drawing else None)
    if drawing and draw_form.is_valid():
        data = draw_form.cleaned_data

        def draw() -> str | None:  # a second press, or a colleague's, is refused by the service
            drawn = selection.draw(run, data["code"], data["source"], request.user)
            return "The panel has been drawn from the lottery" if drawn.status == RunStatus.DONE else None

        return _run_button(request, run, draw, selection.DrawRefused)
    publish_form = forms.PublishRecordForm(request.POST if request.method == "POST" and not drawing else None)
    if request.method == "POST" and not drawing and run.status == "done" and publish_form.is_valid():

        def publish() -> str:
            moved_from = selection.publish(run, request.user)
            moved = (
                f". The forum has moved on from the {moved_from} stage to Selection: its public page now "
                "shows the selection in progress. You can change the stage on the forum’s page"
                if moved_from
                else ""
            )
            return f"The selection record is now on the forum's public page{moved}"

        return _run_button(request, run, publish, selection.NotPublishable)
    probabilities = sorted(run.result.get("probabilities", {}).items(), key=lambda item: (item[1], item[0]))
    values = [p for _ref, p in probabilities]
    context = {
        "forum": forum,
        "run": run,
        "form": draw_form if run.status == RunStatus.COMMITTED else publish_form,
        "in_progress": run.status in COMPUTING,
        "run_done": f"{run.percent_done}% done.",
        "stuck": run.looks_stuck(timezone.now()),
        "error_points": feasibility.as_points(run.error.splitlines()),
        "targets": selection.run_against_targets(run) if run.status == "done" else [],
        "replaced_by": selection.replaced_by(run),
        "replacements": selection.replacement_draw(run)
        if run.is_replacement and run.status == "done"
        else None,
        "probabilities": [(ref, f"{p:.2%}") for ref, p in probabilities],
        "method": dict(ALGORITHMS).get(run.algorithm, run.algorithm),
        "chances": f"lowest {min(values, default=0):.2%}, highest {max(values, default=0):.2%}",
        "histogram": histogram(values),
        "histogram_chart": bar_chart(histogram(values)),
        "purged_at": settings_for(forum).purged_at,
    }
    return render(request, "recruitment/run.html", context)


def _run_button(
    request: HttpRequest, run: SelectionRun, press: Callable[[], str | None], refusal: type[Exception]
) -> HttpResponse:
    """One of the run page's buttons: what the service refuses is shown as an error, what it did (if it
    says) as a banner, and the officer is back on the run page either way (a reload sends nothing)."""
    try:
        done = press()
    except refusal as refused:
        messages.error(request, str(refused))
    else:
        if done:
            messages.success(request, done)
    return redirect("recruitment:run", forum_slug=forum_of(request).slug, run_id=run.pk)


@never_cache
@forum_permission_required(PERSONAL)
def panel(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Members with their contact details (personal data: the view is logged)."""
    forum = forum_of(request)
    members = list(
        PanelMember.objects.filter(forum=forum)
        .select_related("respondent", "replaces__respondent", "replaced_by")
        .defer(*(f"{member}respondent__{name}" for member in ("", "replaces__") for name in ABOUT_THE_PERSON))
        .order_by("id")
    )
    privacy.log_personal_data_access(request.user, forum, "panel list", privacy.people_shown(members))
    settings_row = settings_for(forum)
    context = {
        "forum": forum,
        "members": members,
        "on_panel": sum(member.status != MemberStatus.DECLINED for member in members),
        "declined": sum(member.status == MemberStatus.DECLINED for member in members),
        "to_fill": selection.places_to_fill(forum),
        "targets": selection.panel_against_targets(forum),
        "anyone_to_invite": panel_invitations.awaiting_invitation(forum).exists(),
        "has_letters": bool(settings_row.panel_letters),
        "purged_at": settings_row.purged_at,
    }
    return render(request, "recruitment/panel.html", context)


@forum_permission_required(PERSONAL)
@closed_after_purge()  # members' names and addresses are gone: nobody can be invited
def invite_panel(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Invite newly selected members; the letters and emails go in the background (the batch page shows).

    Emails cannot be recalled, so the reply-by date leads first to a page saying how many members will be
    emailed and how many only get a letter; its 'Send invitations' (posting ``send``) invites them."""
    forum = forum_of(request)
    form = forms.PanelInvitationForm(request.POST or None, initial={"reply_by": request.GET.get("reply_by")})
    blocker = panel_invitations.invite_blocker(forum)
    if request.method == "POST" and form.is_valid() and blocker is None:
        reply_by = form.cleaned_data["reply_by"]
        reply_url = public_address(request, reverse("recruitment:panel_reply", args=[forum.slug]))
        try:
            check_fits(panel_invitations.letter_design(forum, reply_url, reply_by))
        except LetterTooLong as error:  # before any batch: its sending would stop at the letters
            form.add_error("reply_by" if isinstance(error, ReplyByTooLong) else None, str(error))
        else:
            if problems := panel_invitations.unprintable_letters(forum):  # as would a name or address
                form.add_error(None, panel_invitations.unprintable_letters_message(problems))
        if not form.errors:
            to_send = panel_invitations.invitations_to_send(forum)
            checked = request.POST.get("members_checked")  # how many the check page showed
            changed = checked is not None and checked != str(to_send.members)
            if "send" not in request.POST or changed:  # a replacement draw may have finished meanwhile
                context = {
                    "forum": forum,
                    "reply_by": reply_by,
                    "to_send": to_send,
                    "checked_before": checked if changed else None,
                }
                return render(request, "recruitment/invite_panel_check.html", context)
            batch = panel_invitations.invite_selected(forum, request.user, reply_url, reply_by)
            if batch is not None:
                tasks.start(tasks.send_invitations, batch.pk)
                invited = batch.recipients.count()
                messages.success(request, f"{counted(invited, 'member', 'members')} invited")
                return redirect("recruitment:invitations", forum_slug=forum.slug, batch_id=batch.pk)
    if request.method == "POST" and (taken := panel_invitations.invited_meanwhile(forum)):
        # The button pressed twice (the browser shows the second answer) or a colleague's press.
        messages.info(request, "Everyone selected has been invited: these are the latest invitations")
        return redirect("recruitment:invitations", forum_slug=forum.slug, batch_id=taken.pk)
    return render(
        request, "recruitment/invite_panel.html", {"forum": forum, "form": form, "blocker": blocker}
    )


@never_cache
@forum_permission_required(PERSONAL)
@closed_after_purge(reading_allowed=True)
def invitations(request: HttpRequest, forum_slug: str, batch_id: int) -> HttpResponse:
    """One batch of invitations: its progress, then who was emailed, and sending again those not."""
    forum = forum_of(request)
    batch = get_object_or_404(InvitationBatch, forum=forum, pk=batch_id)
    if request.method == "POST":
        try:
            emails = panel_invitations.send_again(batch, request.user)
        except panel_invitations.InvitationsBusy as busy:
            messages.error(request, str(busy))
        else:
            tasks.start(tasks.send_invitations, batch.pk)
            messages.success(request, f"Sending {counted(emails, 'email', 'emails')} again")
        return redirect("recruitment:invitations", forum_slug=forum.slug, batch_id=batch.pk)
    progress = panel_invitations.batch_progress(batch, timezone.now())
    return _invitations_page(request, forum, batch, progress, reached_form=None)


@require_POST
@forum_permission_required(PERSONAL)
@closed_after_purge()
def invitations_reached(request: HttpRequest, forum_slug: str, batch_id: int) -> HttpResponse:
    """Record members of a batch not emailed whom the officer told of their invitation another way."""
    forum = forum_of(request)
    batch = get_object_or_404(InvitationBatch, forum=forum, pk=batch_id)
    progress = panel_invitations.batch_progress(batch, timezone.now())
    form = forms.ReachedAnotherWayForm(request.POST, not_emailed=progress.not_emailed)
    if progress.busy:  # a colleague pressed "Send again" since the page was shown
        messages.error(request, panel_invitations.WAIT_TO_RECORD_REACHED)
    elif not form.is_valid():
        return _invitations_page(request, forum, batch, progress, reached_form=form)
    else:
        how = ReachedBy(form.cleaned_data["how"])
        try:
            reached = panel_invitations.record_reached(batch, request.user, form.chosen, how)
        except panel_invitations.InvitationsBusy as busy:
            messages.error(request, str(busy))
        else:
            messages.success(
                request, f"{counted(reached, 'member', 'members')} recorded as told {how.label.lower()}"
            )
    return redirect("recruitment:invitations", forum_slug=forum.slug, batch_id=batch.pk)


def _invitations_page(
    request: HttpRequest,
    forum: Any,
    batch: InvitationBatch,
    progress: panel_invitations.BatchProgress,
    reached_form: forms.ReachedAnotherWayForm | None,
) -> HttpResponse:
    """The batch's page (the names it shows are logged as personal data viewed), with the form recording
    members told another way: ``reached_form`` when it comes back with errors, else a new one."""
    if progress.people_shown:
        privacy.log_personal_data_access(
            request.user, forum, "invitations not emailed", progress.people_shown
        )
    settings_row = settings_for(forum)
    if reached_form is None and progress.not_emailed and not settings_row.purged_at:
        reached_form = forms.ReachedAnotherWayForm(not_emailed=progress.not_emailed)
    context = {
        "forum": forum,
        "batch": batch,
        "progress": progress,
        "in_progress": progress.busy,
        "done": f"{progress.handled:,} of {progress.members:,} members done.",
        "latest_letters": bool(batch.letters) and batch.letters == settings_row.panel_letters,
        "purged_at": settings_row.purged_at,
        "reached_form": reached_form,
    }
    return render(request, "recruitment/invitations.html", context)


@never_cache
@forum_permission_required(PERSONAL)
@gone_after_purge  # the purge deleted them (names and addresses), not "No letters yet"
def panel_letters(request: HttpRequest, forum_slug: str) -> FileResponse:
    forum = forum_of(request)
    stored = settings_for(forum).panel_letters
    if not stored or not Path(stored).exists():
        raise Http404("No letters to selected members yet")
    people = panel_invitations.letters_count(forum, stored)
    privacy.log_personal_data_access(request.user, forum, "panel letters download", people)
    return FileResponse(open(stored, "rb"), as_attachment=True, filename=f"{forum.slug}-{Path(stored).name}")


@require_POST
@forum_permission_required(MANAGE)
@closed_after_purge()
def member_status(request: HttpRequest, forum_slug: str, member_id: int) -> HttpResponse:
    """Record that a member confirmed, in one click (declining deletes data: ``member_decline`` asks)."""
    forum = forum_of(request)
    members = PanelMember.objects.select_related("respondent").only(
        "forum", "status", "changed_at", "respondent__reference"
    )
    member = get_object_or_404(members, forum=forum, pk=member_id)
    if request.POST.get("status", "") != MemberStatus.CONFIRMED:
        raise PermissionDenied
    return _record_reply(request, member, MemberStatus.CONFIRMED)


@never_cache
@require_http_methods(["GET", "POST"])
@forum_permission_required(PERSONAL)
@closed_after_purge()
def member_decline(request: HttpRequest, forum_slug: str, member_id: int) -> HttpResponse:
    """Declining deletes for good the support needs a member gave (often health data), so the panel's
    'Mark as declined' leads here to name the member and say so before it is recorded (GOV.UK's pattern for
    destructive actions); the page's status is posted back as ``seen``, as the panel page does."""
    forum = forum_of(request)
    members = PanelMember.objects.select_related("respondent").only(
        "forum", "status", "changed_at", "invited_at", "respondent__reference", "respondent__full_name"
    )
    member = get_object_or_404(members, forum=forum, pk=member_id)
    if request.method == "POST":
        return _record_reply(request, member, MemberStatus.DECLINED)
    if member.status == MemberStatus.DECLINED:  # a colleague recorded it, or the member replied online
        messages.info(request, f"{member.respondent or 'This member'} is already recorded as declined")
        return redirect("recruitment:panel", forum_slug=forum.slug)
    privacy.log_personal_data_access(request.user, forum, "member decline confirmation", 1)
    return render(request, "recruitment/member_decline.html", {"forum": forum, "member": member})


@require_POST
@forum_permission_required(MANAGE)
@closed_after_purge()
def member_put_back(request: HttpRequest, forum_slug: str, member_id: int) -> HttpResponse:
    """Undo a decline recorded by mistake for a member not yet invited, while that is safe
    (``selection.put_back_on_panel`` says when), then go back to the panel."""
    forum = forum_of(request)
    members = PanelMember.objects.select_related("respondent").only(
        "forum", "status", "changed_at", "invited_at", "respondent__reference"
    )
    member = get_object_or_404(members, forum=forum, pk=member_id)
    try:
        selection.put_back_on_panel(member, request.user)
    except selection.DeclineKept as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            f"{member.respondent or 'Member'} is back on the panel, waiting for their invitation. Any "
            "support needs they gave were deleted when they were declined: ask them again",
        )
    return redirect("recruitment:panel", forum_slug=forum.slug)


def _record_reply(request: HttpRequest, member: PanelMember, status: str) -> HttpResponse:
    """Record the member's reply over the status the officer's page showed (``seen``), then go back to the
    panel, saying how it went."""
    try:
        selection.set_member_status(member, status, request.user, seen=request.POST.get("seen", ""))
    except selection.PlaceFilled as error:
        messages.error(request, f"{error}, so their reply can no longer be changed")
    except (selection.RepliedMeanwhile, selection.NotInvited, selection.MemberWithdrew) as error:
        messages.error(request, str(error))
    else:
        deleted = ". Any support needs they gave are deleted" if status == MemberStatus.DECLINED else ""
        messages.success(
            request,
            f"{member.respondent or 'Member'} marked as {member.get_status_display().lower()}{deleted}",
        )
    return redirect("recruitment:panel", forum_slug=forum_of(request).slug)


@never_cache
@require_http_methods(["GET", "POST"])
@forum_permission_required(PERSONAL)
@closed_after_purge()
def member_support(request: HttpRequest, forum_slug: str, member_id: int) -> HttpResponse:
    """A member's support needs, which the officer records when the member accepts by phone (the online
    reply asks for them itself) or tells them later (personal data, often about health: the view is
    logged)."""
    forum = forum_of(request)
    member = get_object_or_404(
        PanelMember.objects.select_related("respondent"),
        forum=forum,
        pk=member_id,
        status__in=(MemberStatus.SELECTED, MemberStatus.CONFIRMED),
        respondent__status=RespondentStatus.REGISTERED,
    )
    respondent = member.respondent
    initial = {"access_needs": respondent.access_needs}
    form = forms.SupportNeedsForm(request.POST or None, initial=initial, name=respondent.full_name)
    if request.method == "POST" and form.is_valid():
        registration.change_support_needs(respondent, form.cleaned_data["access_needs"], request.user)
        messages.success(request, f"Support needs of {respondent.full_name} saved")
        return redirect("recruitment:panel", forum_slug=forum.slug)
    privacy.log_personal_data_access(request.user, forum, "member support needs", 1)
    return render(
        request, "recruitment/member_support.html", {"forum": forum, "member": member, "form": form}
    )


RESPONDENTS_PAGE_SIZE = 50


@never_cache
@forum_permission_required(PERSONAL)
def respondents(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The pool a page at a time: a forum has up to thousands of registrations, each decrypted to show.
    Someone who phones gives the reference from their confirmation, which finds them (``?reference=``)
    without paging through everyone; names are encrypted, so they cannot be searched in the database."""
    forum = forum_of(request)
    pool = Respondent.objects.filter(forum=forum).select_related("possible_duplicate_of")
    typed = request.GET.get("reference", "").strip()[:40]
    reference = registration.normalise_reference(typed) if typed else ""
    if reference:
        pool = pool.filter(reference=reference)
    page = Paginator(pool, RESPONDENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    privacy.log_personal_data_access(request.user, forum, "respondent list", len(page.object_list))
    settings_row = settings_for(forum)
    context = {
        "forum": forum,
        "page": page,
        "typed": typed,
        "reference": reference,
        "purged_at": settings_row.purged_at,
        "stats": settings_row.retained_aggregates,
    }
    return render(request, "recruitment/respondents.html", context)


# Which spreadsheet, what the audit log calls it and the end of its file name: see services/export.py.
DOWNLOADS = {
    "contacts": (export.contacts_csv, "pool contacts export (CSV)", "pool-contacts"),
    "answers": (export.answers_csv, "pool answers export (CSV)", "pool-answers"),
    "panel": (export.panel_csv, "panel support export (CSV)", "panel-support"),
}


@never_cache
@forum_permission_required(PERSONAL)
@gone_after_purge  # not a spreadsheet of headings only
def respondents_csv(request: HttpRequest, forum_slug: str, which: str) -> HttpResponse:
    forum = forum_of(request)
    build, what, name = DOWNLOADS[which]
    text, count = build(forum)
    privacy.log_personal_data_access(request.user, forum, what, count)
    return csv_attachment(text, f"{forum.slug}-{name}.csv")


@never_cache
@require_http_methods(["GET", "POST"])
@forum_permission_required(PERSONAL)
@closed_after_purge()
def correct_details(request: HttpRequest, forum_slug: str, respondent_id: int) -> HttpResponse:
    """Someone asks for their name or contact details to be corrected (a misspelt name, an email address
    the invitation cannot reach, a name too long for the letter's envelope window): the officer changes
    them here, then goes back to the page they came from (a page of the list, the person found by their
    reference, or the invitations). Viewing the details is logged."""
    forum = forum_of(request)
    respondent = get_object_or_404(
        Respondent, forum=forum, pk=respondent_id, status=RespondentStatus.REGISTERED
    )
    back = page_to_return_to(request, reverse("recruitment:respondents", kwargs={"forum_slug": forum.slug}))
    initial = {field: getattr(respondent, field) for field in registration.CORRECTABLE}
    form = forms.CorrectDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = registration.correct_details(
            respondent,
            request.user,
            **{field: form.cleaned_data[field] for field in registration.CORRECTABLE},
        )
        if changed is None:
            messages.error(
                request, f"{respondent.reference} was withdrawn meanwhile: their details are erased"
            )
        elif changed:
            messages.success(request, f"Details of {respondent.reference} corrected")
        else:
            messages.success(
                request, f"Nothing changed: the details of {respondent.reference} are as they were"
            )
        return redirect(back)
    privacy.log_personal_data_access(request.user, forum, "registration details", 1)
    context = {"forum": forum, "respondent": respondent, "form": form, "back": back}
    return render(request, "recruitment/correct_details.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@forum_permission_required(PERSONAL)
def withdraw(request: HttpRequest, forum_slug: str, respondent_id: int) -> HttpResponse:
    """Erasing someone cannot be undone, so the list's button leads here to confirm first (GOV.UK's
    pattern for destructive actions); the officer then returns to the page they came from (``next``: a
    page of the list, or the person found by their reference)."""
    forum = forum_of(request)
    respondent = get_object_or_404(
        Respondent, forum=forum, pk=respondent_id, status=RespondentStatus.REGISTERED
    )
    back = page_to_return_to(request, reverse("recruitment:respondents", kwargs={"forum_slug": forum.slug}))
    if request.method == "POST":
        if registration.withdraw(respondent, request.user):
            messages.success(request, f"{respondent.reference} withdrawn and their personal data erased")
        else:
            messages.success(
                request,
                f"{respondent.reference} had already been withdrawn a moment ago (perhaps they did it online "
                "or a colleague did): their personal data is erased",
            )
        return redirect(back)
    context = {"forum": forum, "respondent": respondent, "back": back}
    return render(request, "recruitment/withdraw_confirm.html", context)


@forum_permission_required(MANAGE)
@closed_after_purge()
def phone_registration(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """An officer registers someone on the phone or from a paper form: the same steps, on their behalf
    (not while a draw is queued or running: the person would land in the pool being drawn from)."""
    forum = forum_of(request)
    run = registration.run_in_progress(forum)
    if run is not None:
        messages.error(request, registration.DRAW_BELOW_READS_POOL)
        return redirect("recruitment:run", forum_slug=forum.slug, run_id=run.pk)
    save_registration_state(request, forum, {"assisted": True})
    return redirect("recruitment:register_step", forum_slug=forum.slug, step="code")


@forum_permission_required(MANAGE)
def recruitment_settings(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """Open or close registration, household limit, phone line, session dates, retention date."""
    forum = forum_of(request)
    settings_row = settings_for(forum)
    deletion = privacy.scheduled_deletion(settings_row)  # as saved: a posted form changes the instance
    form = forms.RecruitmentSettingsForm(request.POST or None, instance=settings_row)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request.user, "recruitment.settings_changed", forum=forum, **form.audit_details())
        moved_from = (
            registration.move_on_to(forum, StageKind.RECRUITMENT, request.user, "registration opened")
            if form.opening
            else None
        )
        moved = (
            f". Registration is open, so the forum has moved on from the {moved_from} stage to Recruitment: "
            "its public page now shows recruitment in progress. You can change the stage on the forum’s page"
            if moved_from
            else ""
        )
        scheduled = privacy.scheduled_deletion(settings_row)
        deleting = (
            f". Registration data will be deleted {scheduled.when}"
            if scheduled and "retention_until" in form.changed_data
            else ""
        )
        messages.success(request, f"Recruitment settings saved{moved}{deleting}")
        return redirect_back(request, reverse("recruitment:overview", kwargs={"forum_slug": forum.slug}))
    context = {
        "forum": forum,
        "form": form,
        "deletion": deletion,
        "purged_at": settings_row.purged_at,
    }
    return render(request, "recruitment/settings.html", context)


def _prefer_not_to_say_added(form: forms.QuotaQuestionForm) -> str:
    if not form.is_bound or not form.prefer_not_to_say_added:
        return ""
    return (
        f". ‘Prefer not to say’ is offered for ‘{form.cleaned_data['label']}’, as for every question "
        "asking for special category data"
    )


@forum_permission_required(MANAGE)
def questions(request: HttpRequest, forum_slug: str) -> HttpResponse:
    """The demographic questions asked at registration, which the quotas are set on."""
    forum = forum_of(request)
    form = forms.QuotaQuestionForm(request.POST if request.POST.get("action") == "add" else None)
    in_use: list[ErrorItem] = []
    if request.method == "POST":
        action = request.POST.get("action")
        # Added only once the officer has answered whether it asks for special category data: left
        # unanswered, the page comes back with the answer its wording suggests, for them to check.
        adding = action == "add" and form.is_valid() and not form.special_category_suggested
        try:
            if adding:
                data = form.cleaned_data
                quotas.add_question(
                    forum,
                    request.user,
                    data["label"],
                    data["hint"],
                    data["categories"],
                    data["allow_prefer_not_to_say"],
                    special_category=data["special_category"],
                )
            elif action == "ward":
                quotas.add_ward_question(forum, request.user)
            if action != "add" or adding:
                messages.success(request, "Questions saved" + _prefer_not_to_say_added(form))
                return redirect("recruitment:questions", forum_slug=forum.slug)
        except quotas.QuestionInUse as error:
            in_use = [ErrorItem(str(error))]  # no box to correct: a plain line
    locked = quotas.questions_locked(forum)
    forum_questions = quotas.questions_with_categories(forum)
    context = {
        "forum": forum,
        "form": form,
        "error_summary": form_errors(form) + in_use,
        "locked": locked,
        "questions": forum_questions,
        "special": quotas.unneeded_special_questions(forum_questions, locked),
        "has_ward": any(question.from_address for question in forum_questions),
        # Answers are erased only once people have registered, so none can be before then.
        "asked_again": _asked_again(request, forum, forum_questions) if locked else [],
        "sees_contacts": request.user.has_perm(PERSONAL, forum),
    }
    if context["asked_again"]:
        context["registration_open"] = registration.is_open(forum)
    return render(request, "recruitment/questions.html", context)


def _asked_again(request: HttpRequest, forum: Any, forum_questions: list[QuotaQuestion]) -> list[Any]:
    """Each question whose earlier answers were erased when it was marked, with how many were given again
    and the page where the others can give theirs (a full address, to put in an email or letter)."""
    counts = answer_again.asked_again(forum)
    return [
        {
            "question": question,
            "counts": counts[question.pk],
            "url": _answer_again_url(request, forum, question),
        }
        for question in forum_questions
        if question.pk in counts
    ]


def _answer_again_url(request: HttpRequest, forum: Any, question: QuotaQuestion) -> str:
    kwargs = {"forum_slug": forum.slug, "question_key": question.key}
    return request.build_absolute_uri(reverse("recruitment:answer_again", kwargs=kwargs))


@require_POST
@forum_permission_required(PERSONAL)
@closed_after_purge()
def answer_again_emails(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """Email everyone still to give again their answer to the question (and those whose email failed),
    in the background: the questions page then counts the emails sent."""
    forum = forum_of(request)
    question = get_object_or_404(QuotaQuestion, forum=forum, pk=question_id, special_category=True)
    try:
        queued = answer_again.queue_emails(question, request.user)
    except registration.RegistrationClosed:
        messages.error(request, "Registration is closed, so nobody can give an answer again: open it first")
    else:
        if queued:
            tasks.start(tasks.email_answer_again, question.pk, _answer_again_url(request, forum, question))
        messages.success(request, f"Emailing {counted(queued, 'person', 'people')} about ‘{question.label}’")
    return redirect("recruitment:questions", forum_slug=forum.slug)


@never_cache
@require_http_methods(["GET", "POST"])
@forum_permission_required(PERSONAL)
@closed_after_purge()
def record_answer_again(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """An officer records an erased answer that someone gave again by phone or on paper, with their
    consent (not while a draw reads the answers)."""
    forum = forum_of(request)
    question = get_object_or_404(QuotaQuestion, forum=forum, pk=question_id, special_category=True)
    form = forms.RecordAnswerAgainForm(request.POST or None, question=question)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            respondent = answer_again.record_given_again(
                question, data["reference"], data["answer"], request.user
            )
        except registration.CodeProblem as problem:
            form.add_error("reference", str(problem))
        except answer_again.NothingToGiveAgain:
            form.add_error(
                "reference",
                f"This registration has no erased answer to ‘{question.label}’: they registered after the "
                "question was marked, or chose ‘Prefer not to say’. There is nothing to record",
            )
        except registration.DrawInProgress:
            form.add_error(
                None,
                "A panel is being drawn from the answers given so far, so no answer can change until the "
                "draw has finished. Wait for it to finish (its progress is on the selection run’s page), "
                "then record the answer.",
            )
        else:
            messages.success(
                request, f"The answer of {respondent.reference} to ‘{question.label}’ is recorded"
            )
            return redirect("recruitment:questions", forum_slug=forum.slug)
    context = {
        "forum": forum,
        "question": question,
        "form": form,
        "registration_open": registration.is_open(forum),
    }
    return render(request, "recruitment/record_answer_again.html", context)


@never_cache
@forum_permission_required(PERSONAL)
@gone_after_purge
def answer_again_csv(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """Who to ask to give again the answer erased when the question was marked (logged: names and
    contact details)."""
    forum = forum_of(request)
    question = get_object_or_404(QuotaQuestion, forum=forum, pk=question_id, special_category=True)
    text, count = answer_again.still_to_give_csv(question)
    privacy.log_personal_data_access(request.user, forum, "answers to give again (CSV)", count)
    return csv_attachment(text, f"{forum.slug}-{question.key}-to-give-again.csv")


@require_http_methods(["GET", "POST"])
@forum_permission_required(MANAGE)
def remove_question(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """Removing a question throws away its answers, shares and quotas, so the questions page's link leads
    here to say what will be lost and confirm (GOV.UK's pattern for destructive actions)."""
    forum = forum_of(request)
    question = get_object_or_404(
        QuotaQuestion.objects.prefetch_related("categories"), forum=forum, pk=question_id
    )
    locked = quotas.questions_locked(forum)
    if request.method == "POST" and not locked:
        quotas.delete_question(question, request.user)
        messages.success(request, f"‘{question.label}’ removed")
        return redirect("recruitment:questions", forum_slug=forum.slug)
    context = {
        "forum": forum,
        "question": question,
        "locked": locked,
        "losses": quotas.removal_losses(question),
    }
    return render(request, "recruitment/question_remove.html", context)


@require_http_methods(["GET", "POST"])
@forum_permission_required(MANAGE)
def change_question(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """Put right a question's wording (a typo in it, its hint or an answer) without removing and adding
    it again, while nobody has registered; the ward's answers are the address list's ward names."""
    forum = forum_of(request)
    question = get_object_or_404(
        QuotaQuestion.objects.prefetch_related("categories"), forum=forum, pk=question_id, from_address=False
    )
    form = forms.QuestionWordingForm(request.POST if request.method == "POST" else None, question=question)

    def save() -> None:
        data = form.cleaned_data
        quotas.change_question_wording(
            question, request.user, data["label"], data["hint"], form.answer_labels()
        )

    locked = quotas.wording_locked(forum)
    return _question_form_page(
        request, forum, question, form, locked, save, "recruitment/question_change.html"
    )


@require_http_methods(["GET", "POST"])
@forum_permission_required(MANAGE)
def question_special_category(request: HttpRequest, forum_slug: str, question_id: int) -> HttpResponse:
    """Change whether a question asks for special category data (questions added before the officer was
    asked were marked from their wording): unmarked only while nobody has registered, and marked once
    people have answered it only by erasing their answers, which they gave without being told."""
    forum = forum_of(request)
    question = get_object_or_404(QuotaQuestion, forum=forum, pk=question_id, from_address=False)
    posted = request.POST if request.method == "POST" else None  # nothing ticked: an error, not a blank form
    form = forms.SpecialCategoryForm(posted, question=question, answered=quotas.answered_unmarked(question))

    def save() -> None:
        data = form.cleaned_data
        erase = data.get("erase_earlier_answers", False)
        quotas.mark_special_category(question, request.user, data["special_category"], erase)

    locked = quotas.unmarking_refused(question)
    return _question_form_page(
        request, forum, question, form, locked, save, "recruitment/question_special_category.html"
    )


def _question_form_page(
    request: HttpRequest,
    forum: Any,
    question: QuotaQuestion,
    form: Any,
    locked: str | None,
    save: Callable[[], None],
    template: str,
) -> HttpResponse:
    """A page changing one question: ``save`` runs on a valid form while the question may change
    (``locked``: why not), then back to the questions; if someone registered since the page was read,
    the service refuses and the page says why instead."""
    if request.method == "POST" and not locked and form.is_valid():
        try:
            save()
        except quotas.QuestionInUse as refused:
            locked = str(refused)
        else:
            messages.success(request, "Questions saved")
            return redirect("recruitment:questions", forum_slug=forum.slug)
    context = {"forum": forum, "question": question, "form": form, "locked": locked}
    return render(request, template, context)
