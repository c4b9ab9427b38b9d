"""Server-rendered SVG bar charts (no JavaScript, no inline CSS, so they pass the site's CSP).

Each chart is decorative for screen readers (``aria-hidden``); the page puts the same numbers in a
table next to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_AREA, RIGHT_PAD = 22, 8, 190, 330, 60
BAR_COLOUR, TARGET_COLOUR = "#1d70b8", "#0b0c0c"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    target: float | None = None
    shown: str = ""


def bar_chart(bars: list[Bar]) -> SafeString:
    """Horizontal bars scaled to the largest value or target; a black tick marks each target."""
    if not bars:
        return mark_safe("")
    scale_to = max([b.value for b in bars] + [b.target or 0 for b in bars]) or 1
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_AREA + RIGHT_PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-hidden="true" focusable="false" font-family="Arial, sans-serif" font-size="14">'
    ]
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = BAR_AREA * bar.value / scale_to
        label = escape(bar.label if len(bar.label) <= 26 else bar.label[:25] + "…")
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="#0b0c0c">{label}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{BAR_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}" fill="#0b0c0c">'
            f"{escape(bar.shown or f'{bar.value:g}')}</text>"
        )
        if bar.target is not None:
            x = LABEL_WIDTH + BAR_AREA * bar.target / scale_to
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" y2="{y + BAR_HEIGHT + 3}" '
                f'stroke="{TARGET_COLOUR}" stroke-width="3"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def histogram(values: list[float], bins: int = 10) -> list[Bar]:
    """Counts of values (chances, 0 to 1) in ``bins`` equal-width ranges from 0 to the largest value,
    each labelled by its range as percentages ('0.00%–1.43%'), as the run page gives chances."""
    if not values:
        return []
    top = max(values) or 1.0
    width = top / bins
    counts = [0] * bins
    for value in values:
        counts[min(int(value / width), bins - 1)] += 1
    return [Bar(f"{i * width:.2%}–{(i + 1) * width:.2%}", count) for i, count in enumerate(counts)]
