"""Small server-rendered SVG charts (I1): geometry as plain data, drawn by
``templates/charts/``; no JavaScript, no CDN. Each chart carries a <title> and <desc> and
is shown beside the table holding the same figures, so it prints and reads without sight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 560
ROW = 26
LABEL_W = 150
PLOT_H = 180


@dataclass(frozen=True)
class Chart:
    kind: str  # bar | line
    title: str
    desc: str
    width: int
    height: int
    items: list[dict[str, Any]]
    points: str = ""
    axis_y: int = 0
    peak: float = 0


def bar_chart(title: str, desc: str, data: list[tuple[str, float]]) -> Chart:
    """Horizontal bars, one row per label, scaled to the largest value."""
    peak = max((v for _, v in data), default=0) or 1
    span = WIDTH - LABEL_W - 60
    items = [
        {
            "label": label,
            "value": value,
            "y": i * ROW,
            "text_y": i * ROW + 17,
            "width": round(span * value / peak),
            "value_x": LABEL_W + round(span * value / peak) + 6,
        }
        for i, (label, value) in enumerate(data)
    ]
    return Chart("bar", title, desc, WIDTH, max(ROW * len(data), ROW), items)


def line_chart(title: str, desc: str, data: list[tuple[str, float]]) -> Chart:
    """A line over evenly spaced labels (a trend); the first and last labels are printed."""
    peak = max((v for _, v in data), default=0) or 1
    n = len(data)
    step = (WIDTH - 80) / max(n - 1, 1)
    items = []
    for i, (label, value) in enumerate(data):
        x = 40 + round(i * step)
        y = 10 + round(PLOT_H * (1 - value / peak))
        items.append({"label": label, "value": value, "x": x, "y": y, "show": i in (0, n - 1)})
    points = " ".join(f"{p['x']},{p['y']}" for p in items)
    return Chart(
        "line",
        title,
        desc,
        WIDTH,
        PLOT_H + 40,
        items,
        points=points,
        axis_y=PLOT_H + 10,
        peak=peak,
    )
