"""The selection report: one accessible HTML page an officer can publish or attach to the minutes.

Plain string templating (no Django: the engine must run without it). The page states in words what
was done, shows every quota against the panel actually drawn, and shows how equal the chances were
with a histogram drawn as inline SVG (with a text alternative and the numbers in a table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Template

from civicforum.plain_text import html_text
from civicforum.selection.diagnose import QuotaChange
from civicforum.selection.disclosure import (
    EXPLANATION,
    NOT_SHOWN,
    TARGETS_EXPLANATION,
    targets_shown,
    withheld_beside,
    withhold_small_counts,
)
from civicforum.selection.lottery import Lottery, verify_command
from civicforum.selection.types import Algorithm, Instance, Panel, SelectionResult
from civicforum.wording import counted, whole_number

HISTOGRAM_BINS = 10
# What each method does, for a reader who has never heard of it.
METHODS = {
    Algorithm.LEXIMIN: "the leximin method, which made the smallest chance anyone had as large as the "
    "quotas allow, then the next smallest, and so on",
    Algorithm.MAXIMIN: "the maximin method, which made the smallest chance anyone had as large as the "
    "quotas allow",
    Algorithm.NASH: "the Nash welfare method, which shared the chances out as evenly as the quotas allow, "
    "weighing everyone's chance and not only the smallest",
    Algorithm.GOLDILOCKS: "the Goldilocks method, which kept every chance as close to an equal share as "
    "the quotas allow, none too low and none too high",
    Algorithm.LEGACY: "the one-at-a-time method, which picked volunteers one by one to fill the quotas "
    "without trying to even out their chances",
}
LABEL = 'text-anchor="middle" fill="#0b0c0c"'

PAGE = Template("""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Panel selection report</title>
<style>
body { font-family: Arial, sans-serif; font-size: 19px; line-height: 1.4; color: #0b0c0c; max-width: 60rem;
  margin: 0 auto; padding: 1rem; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
.table-scroll { overflow-x: auto; }
.table-scroll:focus { outline: 3px solid #ffdd00; }
caption { font-weight: bold; text-align: left; padding-bottom: 0.5rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.4rem 0.8rem; text-align: left; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.warning { border-left: 5px solid #d4351c; padding-left: 1rem; }
code { word-break: break-all; }
</style>
</head>
<body>
<main>
<h1>Panel selection report</h1>
<h2>Summary</h2>
$summary
$warnings
<h2>Quotas and the panel drawn</h2>
<div class="table-scroll" role="region" aria-labelledby="quota-caption" tabindex="0">
<table>
<caption id="quota-caption">Members of the drawn panel for each quota</caption>
<thead><tr><th scope="col">Feature</th><th scope="col">Value</th><th scope="col" class="number">Minimum</th>
<th scope="col" class="number">Maximum</th><th scope="col" class="number">On the panel</th>
<th scope="col" class="number">Volunteers in the pool</th></tr></thead>
<tbody>
$quota_rows
</tbody>
</table>
</div>
<p>$withheld</p>
<h2>How equal were the chances?</h2>
<p>$equal_share The quotas make the panel match the population, so volunteers from groups that came forward
less often than their share of the population had a higher chance, and those from groups that came forward
more often had a lower one. The chart and the table count the volunteers in each range of chance.</p>
$histogram
<table>
<caption>Volunteers by chance of selection</caption>
<thead><tr><th scope="col">Chance of selection</th><th scope="col" class="number">Volunteers</th></tr></thead>
<tbody>
$histogram_rows
</tbody>
</table>
<h2>Checking the draw</h2>
$verification
</main>
</body>
</html>
""")


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, gathered by the CLI after a successful run."""

    instance: Instance
    result: SelectionResult
    lottery: Lottery
    seed: str
    chosen_index: int
    panel: Panel
    relaxation: Sequence[QuotaChange] = ()


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _with_separators(published: Sequence[str]) -> list[str]:
    """Counts as disclosure publishes them, with thousands separators on those shown."""
    return [f"{int(shown):,}" if shown.isdigit() else shown for shown in published]


def _feature_label(feature: str) -> str:
    """A column name as a heading: 'age_bracket' reads 'Age bracket'."""
    words = feature.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _histogram_counts(probabilities: Mapping[str, float]) -> list[tuple[float, float, int]]:
    top = max(probabilities.values(), default=1.0) or 1.0
    width = top / HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for value in probabilities.values():
        counts[min(int(value / width), HISTOGRAM_BINS - 1)] += 1
    return [(i * width, (i + 1) * width, count) for i, count in enumerate(counts)]


def _histogram_svg(bins: list[tuple[float, float, int]]) -> str:
    """Bars with their counts on top and the bin edges on the axis (axis title: chance of selection)."""
    width, height, margin = 600, 260, 40
    tallest = max(count for _, _, count in bins) or 1
    bar = (width - 2 * margin) / len(bins)
    base = height - margin
    parts = [f'<text x="{margin}" y="{base + 16}" {LABEL} font-size="11">0%</text>']
    for i, (low, high, count) in enumerate(bins):
        bar_height = (height - 2.5 * margin) * count / tallest
        x = margin + i * bar
        top = base - bar_height
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" height="{bar_height:.1f}" '
            f'fill="#1d70b8"><title>{_percent(low)} to {_percent(high)}: '
            f"{counted(count, 'volunteer', 'volunteers')}</title></rect>"
            f'<text x="{x + bar / 2:.1f}" y="{top - 4:.1f}" {LABEL} font-size="12">'
            f"{whole_number(count)}</text>"
            f'<text x="{x + bar:.1f}" y="{base + 16}" {LABEL} font-size="11">{_percent(high)}</text>'
        )
    description = "; ".join(
        f"{_percent(low)} to {_percent(high)}: {whole_number(count)}" for low, high, count in bins
    )
    return (
        f'<svg role="img" aria-labelledby="histogram-title histogram-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
        '<title id="histogram-title">Histogram of volunteers\' chances of selection</title>'
        f'<desc id="histogram-desc">Volunteers in each range of chance: {html_text(description)}</desc>'
        f'<line x1="{margin}" y1="{base}" x2="{width - margin}" y2="{base}" stroke="#0b0c0c"/>'
        + "".join(parts)
        + f'<text x="{width / 2:.0f}" y="{height - 4}" {LABEL} font-size="12">Chance of selection</text>'
        + "</svg>"
    )


def render_report(data: ReportData) -> str:
    """The report page as a complete HTML document."""
    instance, result = data.instance, data.result
    probabilities = result.selection_probabilities
    values = list(probabilities.values())
    lowest, highest = min(values, default=0.0), max(values, default=0.0)
    chosen = set(data.panel)
    summary = (
        f"<p>{whole_number(len(instance.people))} volunteers were in the pool and "
        f"{whole_number(instance.panel_size)} were selected using {METHODS[result.algorithm]} "
        f"(solver: {html_text(result.solver)}). "
        f"Every volunteer's chance of selection was between {_percent(lowest)} and {_percent(highest)}.</p>"
        "<p>The chances were turned into a lottery of "
        + counted(data.lottery.size, "panel that meets", "equally likely panels that all meet")
        + " the quotas; this changed nobody's chance by more than "
        f"{_percent(data.lottery.max_deviation)}. "
        f"Panel {whole_number(data.chosen_index + 1)} was drawn.</p>"
    )
    if instance.already_selected:
        summary += (
            f"<p>{counted(len(instance.already_selected), 'member was', 'members were')} already confirmed "
            "and kept their places; "
            + counted(
                instance.panel_size - len(instance.already_selected), "replacement was", "replacements were"
            )
            + " drawn.</p>"
        )
    warnings = ""
    if data.relaxation:
        made = [
            f"{_feature_label(change.feature)} {change.value}: {change.describe(done=True)}"
            for change in data.relaxation
        ]
        items = "".join(f"<li>{html_text(change)}</li>" for change in made)
        warnings = (
            '<div class="warning"><h3>Quotas that could not be met</h3>'
            "<p>With the members already confirmed, no panel meets every quota. "
            f"The smallest change was made:</p><ul>{items}</ul></div>"
        )
    in_pool: dict[tuple[str, str], int] = {}
    on_panel: dict[tuple[str, str], int] = {}
    for person in instance.people:
        for feature, value in person.features.items():
            in_pool[feature, value] = in_pool.get((feature, value), 0) + 1
            if person.id in chosen:
                on_panel[feature, value] = on_panel.get((feature, value), 0) + 1
    # Published counts: small ones, and any that would give one away, are withheld (see disclosure), and
    # so are the limits of a quota the panel was drawn to meet, and the volunteers in the pool, when they
    # would narrow a withheld count.
    panel_cells = [(q.feature, on_panel.get((q.feature, q.value), 0)) for q in instance.quotas]
    panel_counts, limits_shown = targets_shown(
        [
            (feature, count, q.min, q.max)
            for (feature, count), q in zip(panel_cells, instance.quotas, strict=True)
        ]
    )
    panel_shown = _with_separators(panel_counts)
    pool_counts = withhold_small_counts(
        [(q.feature, in_pool.get((q.feature, q.value), 0)) for q in instance.quotas]
    )
    pool_shown = _with_separators(withheld_beside(pool_counts, panel_cells, panel_counts))
    quota_rows = "\n".join(
        f'<tr><td>{html_text(_feature_label(q.feature))}</td><th scope="row">{html_text(q.value)}</th>'
        f'<td class="number">{whole_number(q.min) if shown else NOT_SHOWN}</td>'
        f'<td class="number">{whole_number(q.max) if shown else NOT_SHOWN}</td>'
        f'<td class="number">{panel}</td><td class="number">{pool}</td></tr>'
        for q, shown, panel, pool in zip(instance.quotas, limits_shown, panel_shown, pool_shown, strict=True)
    )
    bins = _histogram_counts(probabilities)
    histogram_rows = "\n".join(
        f'<tr><th scope="row">{_percent(low)} to {_percent(high)}</th>'
        f'<td class="number">{whole_number(count)}</td></tr>'
        for low, high, count in bins
    )
    verification = (
        f"<p>The {counted(data.lottery.size, 'panel was', 'panels were')} fixed before the draw. Their "
        "SHA-256 commitment is "
        f"<code>{data.lottery.commitment}</code>. The seed was <code>{html_text(data.seed)}</code>. "
        "Anyone can check that the seed picks the panel published as selected by running "
        f"<code>{html_text(verify_command('DIRECTORY', data.seed))}</code>.</p>"
    )
    return PAGE.substitute(
        summary=summary,
        warnings=warnings,
        quota_rows=quota_rows,
        withheld=html_text(f"{EXPLANATION} {TARGETS_EXPLANATION}"),
        equal_share="Without quotas every volunteer would have had the same chance, "
        f"{_percent(instance.panel_size / max(len(instance.people), 1))}.",
        histogram=_histogram_svg(bins),
        histogram_rows=histogram_rows,
        verification=verification,
    )
