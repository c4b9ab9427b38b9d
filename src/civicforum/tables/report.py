"""Output files: ``allocation.csv``, ``scores.json`` and the printable ``plan.html``.

The plan shows, per session, each table's facilitator and members and one compact bar per feature.
Each bar segment carries its value's initials and count as text, and segments alternate between
plain and hatched fills, so the bars read the same printed in black and white or by a screen reader
(the bar is also given as a sentence).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .model import Allocation, Member
from .scores import diversity, meetings, repeat_pairs, seating_lower_bound


def allocation_csv(allocation: Allocation) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "session", "table"])
    for session, tables in enumerate(allocation.seating, start=1):
        for table, members in enumerate(tables, start=1):
            writer.writerows([member, session, table] for member in sorted(members))
    return out.getvalue()


def scores(members: Mapping[str, Member], allocation: Allocation, features: Sequence[str]) -> dict[str, Any]:
    """Whole-plan scores plus per-session figures: diversity, its bound, new and repeated pairs."""
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
        "repeat_pairs": repeat_pairs(seating),
        "diversify": list(features),
        "sessions": sessions,
    }


def _initials(value: str) -> str:
    """Short label for a bar segment: short values whole, else initials (the key spells them out)."""
    if len(value) <= 5:
        return value
    words = value.replace("/", " ").split()
    return "".join(w[0] for w in words).upper() if len(words) > 1 else value[:3]


def _bar(counts: Counter[str], values: Sequence[str], size: int, feature: str) -> str:
    segments = []
    sentence = ", ".join(f"{counts[v]} {v}" for v in values if counts[v])
    for position, value in enumerate(v for v in values if counts[v]):
        width = 100 * counts[value] / size
        style = "hatch" if position % 2 else "plain"
        segments.append(
            f'<span class="seg {style}" style="width:{width:.1f}%" '
            f'title="{html.escape(value)}: {counts[value]}">'
            f"{html.escape(_initials(value))}&nbsp;{counts[value]}</span>"
        )
    return (
        f'<div class="feature"><span class="name">{html.escape(feature)}</span>'
        f'<span class="bar" role="img" aria-label="{html.escape(feature)}: {html.escape(sentence)}">'
        f"{''.join(segments)}</span></div>"
    )


STYLE = """
body{font-family:Arial,sans-serif;font-size:16px;color:#0b0c0c;margin:1.5em;line-height:1.4}
h1{font-size:1.8em}h2{font-size:1.4em;margin-top:1.5em;border-bottom:2px solid #0b0c0c}
.tables{display:grid;grid-template-columns:repeat(auto-fill,minmax(17em,1fr));gap:1em}
.table{border:2px solid #0b0c0c;padding:.6em;break-inside:avoid}
.table h3{margin:0 0 .3em;font-size:1.15em}
.table ul{margin:.2em 0 .5em;padding-left:1.2em}
.feature{display:flex;align-items:center;gap:.4em;font-size:.8em;margin:.15em 0}
.feature .name{width:6em;overflow:hidden;text-overflow:ellipsis}
.bar{display:flex;flex:1;border:1px solid #0b0c0c;height:1.5em}
.seg{overflow:hidden;white-space:nowrap;font-size:.85em;padding-left:2px;border-right:1px solid #0b0c0c}
.plain{background:#fff}
.hatch{background:repeating-linear-gradient(45deg,#fff,#fff 3px,#ccc 3px,#ccc 5px)}
.key{font-size:.9em}
@media print{body{margin:0}section.session{break-before:page}
.seg{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def plan_html(
    members: Mapping[str, Member], allocation: Allocation, features: Sequence[str], summary: Mapping[str, Any]
) -> str:
    values = {f: sorted({m.features[f] for m in members.values()}) for f in features}
    key = "; ".join(
        f"{html.escape(f)}: " + ", ".join(f"{_initials(v)} = {html.escape(v)}" for v in values[f])
        for f in features
    )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>Table plan</title><style>{STYLE}</style></head><body><main>",
        "<h1>Table plan</h1>",
        f"<p>Diversity score {summary['diversity_l1']:.3f} (best possible at least "
        f"{summary['diversity_lower_bound']:.3f}; lower is better). "
        f"Meeting score {summary['meeting_norm']:.3f} "
        f"(1 means nobody sits with the same person twice). {summary['repeat_pairs']} pairs sit together "
        "in more than one session.</p>",
        f'<p class="key">Key to the bars: {key}.</p>',
    ]
    for number, session in enumerate(allocation.seating, start=1):
        parts.append(f'<section class="session"><h2>Session {number}</h2><div class="tables">')
        for table, seated in enumerate(session, start=1):
            facilitator = allocation.facilitators[number - 1][table - 1]
            parts.append(f'<article class="table"><h3>Table {table}</h3>')
            if facilitator:
                parts.append(f"<p>Facilitator: {html.escape(facilitator)}</p>")
            parts.append("<ul>" + "".join(f"<li>{html.escape(m)}</li>" for m in sorted(seated)) + "</ul>")
            for feature in features:
                counts = Counter(members[m].features[feature] for m in seated)
                parts.append(_bar(counts, values[feature], max(len(seated), 1), feature))
            parts.append("</article>")
        parts.append("</div></section>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def scores_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=1) + "\n"
