"""A pet's values of one analyte over time as a small PNG: the points joined by a line, over the band of their
reference ranges (matplotlib's object API on the Agg canvas: no pyplot state, safe in threads)."""

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402 - after choosing the backend
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

WIDTH_PX, HEIGHT_PX, DPI = 600, 300, 100


@dataclass(frozen=True)
class Point:
    at: datetime
    value: Decimal
    low: Decimal | None
    high: Decimal | None
    abnormal: bool


def trend_png(*, title: str, unit: str, points: list[Point]) -> bytes:
    """A ``WIDTH_PX`` × ``HEIGHT_PX`` PNG of ``points`` (oldest first); the reference band where limits are known."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    times = [p.at for p in points]
    values = [float(p.value) for p in points]
    if any(p.low is not None or p.high is not None for p in points):
        lows = [float(p.low) if p.low is not None else min(values) for p in points]
        highs = [float(p.high) if p.high is not None else max(values) for p in points]
        if len(points) == 1:  # a band needs a width: one day either side of the single point
            axes.axhspan(lows[0], highs[0], color="#cfe8d5", label="reference range")
        else:
            axes.fill_between(times, lows, highs, step="mid", color="#cfe8d5", label="reference range")
    axes.plot(times, values, color="#1f4e79", linewidth=1.5, marker="o", markersize=4)
    flagged = [(t, v) for t, v, p in zip(times, values, points, strict=True) if p.abnormal]
    if flagged:
        axes.plot(*zip(*flagged, strict=True), linestyle="none", marker="o", markersize=6, color="#b00020")
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(unit, fontsize=9)
    locator = AutoDateLocator(minticks=2, maxticks=6)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.tick_params(labelsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
