"""Output files: ``allocation.csv``, ``scores.json``, the printable ``plan.html`` and, when tables have
facilitators, ``facilitators.csv``.

The plan shows, per session, each table's facilitator and members and, per feature, a compact bar of
its values' shares with the counts written beneath; then a seat finder, everyone's table in every
session. The bar's segments alternate between plain and hatched fills, so it reads the same printed in
black and white; the counts carry the same facts as text, for screen readers and for values too rare
to label inside a bar.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..plain_text import as_shown, html_text
from ..wording import counted
from .model import Allocation, Member
from .scores import diversity, meetings, random_meetings, repeat_pairs, seating_lower_bound


def allocation_csv(allocation: Allocation) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "session", "table"])
    for session, tables in enumerate(allocation.seating, start=1):
        for table, members in enumerate(tables, start=1):
            writer.writerows([member, session, table] for member in sorted(members))
    return out.getvalue()


def facilitators_csv(allocation: Allocation) -> str:
    """Who facilitates which table in each session (``facilitator,session,table``), for the rota."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["facilitator", "session", "table"])
    for session, tables in enumerate(allocation.facilitators, start=1):
        writer.writerows(
            [facilitator, session, table] for table, facilitator in enumerate(tables, start=1) if facilitator
        )
    return out.getvalue()


def scores(members: Mapping[str, Member], allocation: Allocation, features: Sequence[str]) -> dict[str, Any]:
    """Whole-plan scores plus per-session figures: diversity, its bound, new and repeated pairs; and
    the meeting score a random seating would get on average, to read M against."""
    seating = allocation.seating
    sessions: list[dict[str, Any]] = []
    met: set[tuple[str, str]] = set()
    for number, session in enumerate(seating, start=1):
        pairs = {(a, b) for table in session for a in table for b in table if a < b}
        sessions.append(
            {
                "session": number,
                "diversity_l1": round(diversity(members, [session], features), 6),
                "diversity_lower_bound": round(seating_lower_bound(members, [session], features), 6),
                "pairs_seated": len(pairs),
                "pairs_met_before": len(pairs & met),
            }
        )
        met |= pairs
    return {
        "diversity_l1": round(diversity(members, seating, features), 6),
        "diversity_lower_bound": round(seating_lower_bound(members, seating, features), 6),
        "meeting_norm": round(meetings(seating), 6),
        "meeting_norm_random": round(random_meetings(seating), 6),
        "repeat_pairs": repeat_pairs(seating),
        "stopped_by_time_limit": allocation.stopped_by_time_limit,
        "effort": allocation.effort,
        "diversify": list(features),
        "sessions": sessions,
    }


# Values up to this long are printed whole; longer ones as initials, spelled out in the plan's key.
SHORT_VALUE = 12


def _in_natural_order(values: Iterable[str]) -> list[str]:
    """Values with their numbers read as numbers, as an officer would list them: Ward 2 before Ward 10,
    5-15 before 16-29."""

    def key(value: str) -> tuple[list[int | str], str]:
        parts = re.split(r"(\d+)", value)  # text, number, text, ...: like parts compare with like
        return [int(part) if i % 2 else part.casefold() for i, part in enumerate(parts)], value

    return sorted(values, key=key)


def _labels(values: Sequence[str]) -> dict[str, str]:
    """Each value's label beside its count: whole when short, else its initials, unless another value
    of the feature would share them (the key spells the initials out)."""
    short = {}
    for value in values:
        words = as_shown(value).replace("/", " ").split()
        initials = "".join(w[0] for w in words).upper() if len(words) > 1 else value[:4]
        short[value] = value if len(value) <= SHORT_VALUE else initials
    taken = Counter(short.values())
    return {v: label if taken[label] == 1 else v for v, label in short.items()}


def _composition(counts: Counter[str], labels: Mapping[str, str], size: int, feature: str) -> str:
    """One feature of one table: a bar of its values' shares (for a glance across tables, so hidden
    from screen readers) and the counts as text, which always fits, printed or read aloud."""
    present = [v for v in labels if counts[v]]
    segments = "".join(
        f'<span class="seg {"hatch" if position % 2 else "plain"}" '
        f'style="width:{100 * counts[v] / size:.1f}%"></span>'
        for position, v in enumerate(present)
    )
    names = {
        v: f'<abbr title="{html_text(v)}">{html_text(labels[v])}</abbr>' if labels[v] != v else html_text(v)
        for v in present
    }
    text = ", ".join(f'<span class="count">{names[v]}: {counts[v]}</span>' for v in present)
    return (
        f'<div class="feature"><span class="name">{html_text(feature)}</span>'
        f'<span class="bar" aria-hidden="true">{segments}</span>'
        f'<span class="counts">{text}</span></div>'
    )


STYLE = """
body{font-family:Arial,sans-serif;font-size:16px;color:#0b0c0c;margin:1.5em;line-height:1.4}
h1{font-size:1.8em}h2{font-size:1.4em;margin-top:1.5em;border-bottom:2px solid #0b0c0c}
.tables{display:grid;grid-template-columns:repeat(auto-fill,minmax(17em,1fr));gap:1em}
.table{border:2px solid #0b0c0c;padding:.6em;break-inside:avoid}
.table h3{margin:0 0 .3em;font-size:1.15em}
.table ul{margin:.2em 0 .5em;padding-left:1.2em}
.feature{display:grid;grid-template-columns:5.5em 1fr;column-gap:.4em;font-size:.85em;margin:.3em 0}
.feature .name{grid-row:span 2;overflow-wrap:anywhere;font-weight:bold}
.bar{display:flex;border:1px solid #0b0c0c;height:.7em}
.seg{border-right:1px solid #0b0c0c}
.seg:last-child{border-right:0}
.plain{background:#fff}
.hatch{background:repeating-linear-gradient(45deg,#fff,#fff 3px,#6f777b 3px,#6f777b 5px)}
abbr{text-decoration:none}
.count{white-space:nowrap}
.key{font-size:.9em}
.scroll{overflow-x:auto}
.finder table{border-collapse:collapse}
.finder th,.finder td{border:1px solid #0b0c0c;padding:.2em .6em;text-align:left}
.finder td{text-align:center}
@media print{body{margin:0}section.session,section.finder{break-before:page}
.seg{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def plan_html(
    members: Mapping[str, Member],
    allocation: Allocation,
    features: Sequence[str],
    summary: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
) -> str:
    """The printable plan: per session each table's people and make-up, then a seat finder listing
    everyone's table in every session for the welcome desk. ``names`` (id to a name) are printed beside
    the ids, for facilitators greeting people, and order the lists."""
    names = names or {}

    def person(member: str) -> str:
        name = names.get(member, "")
        return f"{html_text(name)} ({html_text(member)})" if name else html_text(member)

    def in_order(ids: Iterable[str]) -> list[str]:
        return sorted(ids, key=lambda member: (names.get(member, "").casefold(), member))

    labels = {f: _labels(_in_natural_order({m.features[f] for m in members.values()})) for f in features}
    abbreviations = ", ".join(
        f"{html_text(label)} = {html_text(v)}"
        for f in features
        for v, label in labels[f].items()
        if label != v
    )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>Table plan</title><style>{STYLE}</style></head><body><main>",
        "<h1>Table plan</h1>",
        f"<p>Diversity score {summary['diversity_l1']:.3f} (best possible at least "
        f"{summary['diversity_lower_bound']:.3f}; lower is better). "
        f"Meeting score {summary['meeting_norm']:.3f} "
        f"(1 means nobody sits with the same person twice; seating people at random would give about "
        f"{summary['meeting_norm_random']:.3f}). "
        + counted(summary["repeat_pairs"], "pair sits", "pairs sit")
        + " together in more than one session.</p>",
        "<p>Under each table, every feature has a bar of its values' shares and the number of members "
        "holding each value.</p>",
    ]
    if abbreviations:
        parts.append(f'<p class="key">Abbreviations: {abbreviations}.</p>')
    for number, session in enumerate(allocation.seating, start=1):
        parts.append(f'<section class="session"><h2>Session {number}</h2><div class="tables">')
        for table, seated in enumerate(session, start=1):
            facilitator = allocation.facilitators[number - 1][table - 1]
            parts.append(f'<article class="table"><h3>Table {table}</h3>')
            if facilitator:
                parts.append(f"<p>Facilitator: {html_text(facilitator)}</p>")
            parts.append("<ul>" + "".join(f"<li>{person(m)}</li>" for m in in_order(seated)) + "</ul>")
            for feature in features:
                counts = Counter(members[m].features[feature] for m in seated)
                parts.append(_composition(counts, labels[feature], max(len(seated), 1), feature))
            parts.append("</article>")
        parts.append("</div></section>")
    parts.extend(_seat_finder(allocation, in_order(members), person, "name" if names else "id"))
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def _seat_finder(
    allocation: Allocation, people: Sequence[str], person: Callable[[str], str], order: str
) -> list[str]:
    """Everyone's table in every session, one row each: what the welcome desk looks people up in."""
    table_of = [
        {member: table for table, seated in enumerate(session, start=1) for member in seated}
        for session in allocation.seating
    ]
    head = "".join(f'<th scope="col">Session {n}</th>' for n in range(1, len(table_of) + 1))
    rows = [
        f'<tr><th scope="row">{person(member)}</th>'
        + "".join(f"<td>{seats.get(member, 'absent')}</td>" for seats in table_of)
        + "</tr>"
        for member in people
    ]
    return [
        '<section class="finder"><h2 id="finder">Where each member sits</h2>',
        f"<p>Each member's table in every session, in order of {order}.</p>",
        # Focusable so that keyboard users can scroll it sideways where it is wider than the screen.
        '<div class="scroll" role="region" aria-labelledby="finder" tabindex="0">',
        '<table><thead><tr><th scope="col">Member</th>' + head + "</tr></thead><tbody>",
        *rows,
        "</tbody></table></div></section>",
    ]


def scores_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=1) + "\n"
