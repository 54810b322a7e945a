"""Tiny server-side SVG charts: horizontal bars (the funnel) and columns (money per day).

Hand-written instead of a chart library: two chart kinds, no JavaScript, accessible text
(`<title>` and a visible label on every bar), and nothing to keep in sync with a
dependency's styling. Values are plain numbers; labels are already formatted by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

Number = int | Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # category name
    value: Number
    shown: str  # the value as the reader should see it ("R$ 250,00", "12")


def _ratio(value: Number, top: Number) -> Decimal:
    return Decimal(0) if top <= 0 else max(Decimal(0), Decimal(value) / Decimal(top))


def _px(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, width: int = 640) -> str:
    """Horizontal bars, one per row, longest = largest value (a funnel reads top-down)."""
    row, label_w, value_w = 28, 130, 110
    height = row * len(bars) + 36
    plot = Decimal(width - label_w - value_w)
    top = max((b.value for b in bars), default=0)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart bar-chart" role="img"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for index, bar in enumerate(bars):
        y = 30 + index * row
        length = _ratio(bar.value, top) * plot
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)}: {escape(bar.shown)}</title>"
            f'<text x="0" y="{y + 17}">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{_px(length)}" height="{row - 8}"'
            f' fill="#2f6f4f"/>'
            f'<text x="{_px(label_w + length + 6)}" y="{y + 17}">{escape(bar.shown)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    chart_id: str, title: str, bars: Sequence[Bar], *, width: int = 640, height: int = 220
) -> str:
    """Vertical columns in order (e.g. one per day), with the first and last labels shown."""
    top_margin, bottom = 30, 24
    plot_h = Decimal(height - top_margin - bottom)
    step = Decimal(width) / max(len(bars), 1)
    top = max((b.value for b in bars), default=0)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart column-chart" role="img"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for index, bar in enumerate(bars):
        h = _ratio(bar.value, top) * plot_h
        x = step * index
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)}: {escape(bar.shown)}</title>"
            f'<rect x="{_px(x + 1)}" y="{_px(top_margin + plot_h - h)}"'
            f' width="{_px(max(step - 2, Decimal(1)))}" height="{_px(h)}" fill="#2f6f4f"/></g>'
        )
    if bars:
        base = height - 6
        parts.append(f'<text x="0" y="{base}">{escape(bars[0].label)}</text>')
        parts.append(
            f'<text x="{width}" y="{base}" text-anchor="end">{escape(bars[-1].label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
