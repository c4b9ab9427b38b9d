"""Files a council publishes from an opinion map: CSV tables, JSON, an SVG map and an HTML report.

Everything is written for people first: the plot distinguishes groups by marker shape and a text
label as well as colour (readable in greyscale and by colour-blind readers); the report is plain
semantic HTML with the statements in words.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from civicforum.opinions.engine import UNCLUSTERED, MapSettings, OpinionMap
from civicforum.opinions.votes import Statement
from civicforum.plain_text import as_shown, html_text
from civicforum.spreadsheet import spreadsheet_safe
from civicforum.wording import counted, whole_number

# Okabe-Ito colour-blind-safe palette, paired with distinct marker shapes.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h"]
# People not placed in a group: a grey with 4.5:1 contrast on white, so the marks stay visible.
NOT_GROUPED_COLOUR = "#767676"


def group_name(label: int) -> str:
    """Groups are named by letter, as Pol.is does (0 -> A)."""
    return f"Group {chr(ord('A') + label)}"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.4f}" if whole else ""


def write_groups_csv(opinion_map: OpinionMap, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["participant", "group", "x", "y"])
        for pid, group, x, y in zip(
            opinion_map.participant_ids, opinion_map.groups, opinion_map.x, opinion_map.y, strict=True
        ):
            writer.writerow([int(pid), "" if group == UNCLUSTERED else int(group), f"{x:.6f}", f"{y:.6f}"])


def write_statements_csv(opinion_map: OpinionMap, texts: dict[int, str], path: Path) -> None:
    """One row per statement and group, plus a row per statement for everyone (`group` = all)."""
    m = opinion_map
    representative = {
        (summary.label, rep.statement_id) for summary in m.summaries for rep in summary.representative
    }
    consensus_ids = {
        int(m.statement_ids[c]) for c in m.consensus.agree_columns + m.consensus.disagree_columns
    }
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "statement", "group", "n_agree", "n_disagree", "n_pass", "n_seen",
                "agree_share", "disagree_share", "pass_share",
                "repful_for", "repness", "repness_test", "representative",
                "consensus_agree", "consensus_disagree", "consensus", "group_informed_consensus", "text",
            ]
        )  # fmt: skip
        for col, sid in enumerate(m.statement_ids.tolist()):
            statement_scores = [
                f"{m.consensus.agree_score[col]:.6f}",
                f"{m.consensus.disagree_score[col]:.6f}",
                "yes" if sid in consensus_ids else "no",
                f"{m.group_informed_consensus[col]:.6f}",
                spreadsheet_safe(as_shown(texts.get(sid, ""))),  # residents' words: no formulas
            ]
            rows: list[tuple[str | int, float, float, float]] = [
                ("all", m.total_counts.agree[col], m.total_counts.disagree[col], m.total_counts.seen[col])
            ]
            rows += [
                (
                    int(label),
                    m.group_counts.agree[g, col],
                    m.group_counts.disagree[g, col],
                    m.group_counts.seen[g, col],
                )
                for g, label in enumerate(m.group_labels.tolist())
            ]
            for g, (group, agree, disagree, seen) in enumerate(rows, start=-1):
                passed = seen - agree - disagree
                if g < 0:
                    group_scores = ["", "", "", ""]
                else:
                    group_scores = [
                        "agree" if m.repness.agrees[g, col] else "disagree",
                        f"{m.repness.ratio[g, col]:.6f}",
                        f"{m.repness.ratio_test[g, col]:.6f}",
                        "yes" if (group, sid) in representative else "no",
                    ]
                counts = [int(agree), int(disagree), int(passed), int(seen)]
                shares = [_share(agree, seen), _share(disagree, seen), _share(passed, seen)]
                writer.writerow([sid, group, *counts, *shares, *group_scores, *statement_scores])


def map_document(opinion_map: OpinionMap, texts: dict[int, str], settings: MapSettings) -> dict[str, object]:
    """Everything a web page needs to draw the map and explain it, as plain JSON types."""
    m = opinion_map
    column = {int(sid): col for col, sid in enumerate(m.statement_ids.tolist())}
    return {
        "settings": {
            "min_votes": settings.min_votes,
            "max_groups": settings.max_groups,
            "seed": settings.seed,
        },
        "explained_variance_ratio": [round(float(v), 6) for v in m.explained_variance_ratio],
        "participants": [
            {
                "id": int(pid),
                "group": None if g == UNCLUSTERED else int(g),
                "x": round(float(x), 6),
                "y": round(float(y), 6),
            }
            for pid, g, x, y in zip(m.participant_ids, m.groups, m.x, m.y, strict=True)
        ],
        "groups": [
            {
                "label": s.label,
                "name": group_name(s.label),
                "size": s.size,
                "representative": [
                    {
                        "statement": r.statement_id,
                        "text": as_shown(texts.get(r.statement_id, "")),
                        "repful_for": "agree" if r.agrees else "disagree",
                        "n_success": r.n_success,
                        "n_seen": r.n_seen,
                        "p_success": round(r.p_success, 6),
                        "repness": round(r.repness, 6),
                        "repness_test": round(r.repness_test, 6),
                    }
                    for r in s.representative
                ],
            }
            for s in m.summaries
        ],
        "consensus": {
            "agree": [int(m.statement_ids[c]) for c in m.consensus.agree_columns],
            "disagree": [int(m.statement_ids[c]) for c in m.consensus.disagree_columns],
        },
        "statements": [
            {
                "id": sid,
                "text": as_shown(texts.get(sid, "")),
                "n_agree": int(m.total_counts.agree[col]),
                "n_disagree": int(m.total_counts.disagree[col]),
                "n_seen": int(m.total_counts.seen[col]),
                "group_informed_consensus": round(float(m.group_informed_consensus[col]), 6),
            }
            for sid, col in column.items()
        ],
    }


def write_map_svg(opinion_map: OpinionMap, path: Path) -> None:
    m = opinion_map
    figure = Figure(figsize=(7.5, 6))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    unclustered = m.groups == UNCLUSTERED
    if unclustered.any():
        axes.scatter(
            m.x[unclustered],
            m.y[unclustered],
            s=6,
            c=NOT_GROUPED_COLOUR,
            marker=".",
            label="Not grouped (few votes)",
        )
    for label in m.group_labels.tolist():
        members = m.groups == label
        style = label % len(COLOURS)
        axes.scatter(
            m.x[members], m.y[members], s=14, c=COLOURS[style], marker=MARKERS[style],
            edgecolors="black", linewidths=0.3, alpha=0.8,
            label=f"{group_name(label)} ({int(members.sum())})",
        )  # fmt: skip
        axes.annotate(
            group_name(label), (float(np.median(m.x[members])), float(np.median(m.y[members]))),
            fontsize=12, fontweight="bold", ha="center", va="center",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": COLOURS[style], "alpha": 0.9},
        )  # fmt: skip
    variance = m.explained_variance_ratio
    axes.set_xlabel(f"First axis of disagreement ({variance[0]:.0%} of variation)" if variance.size else "x")
    axes.set_ylabel(f"Second axis ({variance[1]:.0%} of variation)" if variance.size > 1 else "y")
    axes.set_title("Opinion map: each mark is a participant; nearby marks voted alike")
    axes.legend(loc="best", fontsize=9, frameon=True)
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})


def write_report_html(opinion_map: OpinionMap, texts: dict[int, str], path: Path) -> None:
    m = opinion_map
    clustered = int((m.groups != UNCLUSTERED).sum())
    unplaced = m.participant_ids.size - clustered
    if not clustered:
        placed = (
            "None of them voted on enough statements to be placed in an opinion group, so there are no "
            "groups; everyone is drawn in grey."
        )
    else:
        placed = f"{whole_number(clustered)} of them voted on enough statements to be placed in " + (
            "the one opinion group found."
            if m.group_labels.size == 1
            else f"one of {m.group_labels.size} opinion groups: people in the same group tended to vote the "
            "same way."
        )
        if unplaced:
            placed += (
                f" The other {whole_number(unplaced)} voted on too few statements to be placed in a group "
                "and are drawn in grey."
            )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Opinion map report</title>",
        "<style>body{font-family:Arial,sans-serif;font-size:19px;line-height:1.5;max-width:46em;"
        "margin:1em auto;padding:0 1em;color:#0b0c0c;overflow-wrap:anywhere}img{max-width:100%}"
        "li{margin-bottom:.6em}</style>",
        "</head><body><main>",
        "<h1>Opinion map report</h1>",
        f"<p>{counted(m.participant_ids.size, 'person', 'people')} voted on "
        f"{counted(m.statement_ids.size, 'statement', 'statements')}. "
        f"{placed}</p>",
        '<p><img src="map.svg" alt="Scatter plot of participants; each opinion group is drawn with its own '
        "marker shape and labelled with its name. The groups, their sizes and what they stand for are "
        'described in words below."></p>',
        "<p>How to read the map: each mark is one person. People who voted alike are drawn close together "
        "and people who voted differently far apart; the axes have no meaning of their own.</p>",
        "<h2>The groups</h2>",
    ]
    rest_agree = m.group_counts.agree.sum(axis=0) - m.group_counts.agree
    rest_disagree = m.group_counts.disagree.sum(axis=0) - m.group_counts.disagree
    rest_seen = m.group_counts.seen.sum(axis=0) - m.group_counts.seen
    column = {int(sid): col for col, sid in enumerate(m.statement_ids.tolist())}
    for row, summary in enumerate(m.summaries):
        parts.append(f"<h3>{group_name(summary.label)}: {counted(summary.size, 'person', 'people')}</h3>")
        parts.append("<p>Statements that set this group apart from the others:</p><ol>")
        for rep in summary.representative:
            col = column[rep.statement_id]
            verb = "agreed" if rep.agrees else "disagreed"
            others = (rest_agree if rep.agrees else rest_disagree)[row, col]
            others_seen = rest_seen[row, col]
            others_text = (
                f"{others / others_seen:.0%} of everyone else" if others_seen else "nobody else voted on it"
            )
            parts.append(
                f"<li>&ldquo;{_text(texts, rep.statement_id)}&rdquo; "
                f"<br>{whole_number(rep.n_success)} of {whole_number(rep.n_seen)} people in this group "
                f"{verb} "
                f"({rep.n_success / max(rep.n_seen, 1):.0%}), compared with {others_text}.</li>"
            )
        parts.append("</ol>")
    parts.append("<h2>What most people agree on</h2>")
    parts.extend(_consensus_list(m, texts, m.consensus.agree_columns, agree=True))
    parts.append("<h2>What most people disagree with</h2>")
    parts.extend(_consensus_list(m, texts, m.consensus.disagree_columns, agree=False))
    parts.append("<h2>Agreed across every group</h2>")
    agreed = _agreed_by_every_group(m)
    if agreed:
        parts.append(
            "<p>Statements that most people in every group agreed with, the most widely agreed first:</p>"
        )
        parts.append("<ol>")
        for col in agreed:
            sid = int(m.statement_ids[col])
            parts.append(f"<li>&ldquo;{_text(texts, sid)}&rdquo; <br>{_agreement_by_group(m, col)}.</li>")
        parts.append("</ol>")
    elif m.group_labels.size:
        parts.append("<p>No statement was agreed by more than half of every group.</p>")
    else:
        parts.append("<p>There are no groups to compare.</p>")
    parts.append("</main></body></html>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _agreed_by_every_group(m: OpinionMap, limit: int = 5) -> list[int]:
    """Columns that more than half of every group agreed with, by group-informed consensus (highest
    first): the ranking alone would also list a statement one group mostly rejected."""
    if not m.group_labels.size:
        return []
    majority = np.all(2 * m.group_counts.agree > m.group_counts.seen, axis=0)
    ranked = np.argsort(-m.group_informed_consensus, kind="stable").tolist()
    return [col for col in ranked if majority[col]][:limit]


def _agreement_by_group(m: OpinionMap, col: int) -> str:
    """'Agreed by 88% of Group A and 85% of Group B': the figures behind the group-informed ranking."""
    shares = [
        f"{m.group_counts.agree[g, col] / seen:.0%} of {group_name(label)}"
        if (seen := m.group_counts.seen[g, col])
        else f"none of {group_name(label)} (none of them voted on it)"
        for g, label in enumerate(m.group_labels.tolist())
    ]
    listed = ", ".join(shares[:-1]) + " and " + shares[-1] if len(shares) > 1 else "".join(shares)
    return f"Agreed by {listed}"


def _text(texts: dict[int, str], statement_id: int) -> str:
    """A resident's statement, escaped, without control characters or direction overrides (which would
    show it reversed), and isolated (``<bdi>``): right-to-left text keeps its own direction without
    turning round the figures written after it. A statement without text, or whose text shows as nothing
    (blank in comments.csv), is named by its id: quotes around nothing would not say which it is."""
    text = texts.get(statement_id, "")
    return f"<bdi>{html_text(text if as_shown(text).strip() else f'Statement {statement_id}')}</bdi>"


def _consensus_list(m: OpinionMap, texts: dict[int, str], columns: list[int], agree: bool) -> list[str]:
    if not columns:
        return ["<p>No statement passed the test for this.</p>"]
    counts = m.total_counts.agree if agree else m.total_counts.disagree
    verb = "agreed" if agree else "disagreed"
    seen = m.total_counts.seen
    items = [
        f"<li>&ldquo;{_text(texts, int(m.statement_ids[c]))}&rdquo; <br>{whole_number(int(counts[c]))} of "
        f"{whole_number(int(seen[c]))} people {verb} ({counts[c] / max(seen[c], 1):.0%}).</li>"
        for c in columns
    ]
    return ["<ol>", *items, "</ol>"]


def write_all(
    opinion_map: OpinionMap, statements: list[Statement] | None, settings: MapSettings, directory: Path
) -> None:
    texts = {s.statement_id: s.text for s in statements or []}
    write_groups_csv(opinion_map, directory / "groups.csv")
    write_statements_csv(opinion_map, texts, directory / "statements.csv")
    document = map_document(opinion_map, texts, settings)
    (directory / "map.json").write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    write_map_svg(opinion_map, directory / "map.svg")
    write_report_html(opinion_map, texts, directory / "report.html")
