"""The dashboard chart as server-rendered SVG: syncs per hour by outcome, and the fresh share.

No JavaScript library and nothing from a CDN: the SVG is text in the page, so it
renders with the admin's own CSS, prints, and survives the page's refresh fetch.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Stacking order, bottom first; colours match the run admin's outcome colours. A skipped job
# writes no run (only a log line), so there is no "skipped" series.
OUTCOME_SERIES = [
    ("success", "Success", "#43a047"),
    ("retrying", "Failed, will retry", "#fb8c00"),
    ("failed", "Failed", "#c62828"),
]
FRESH_COLOUR = "#1565c0"

WIDTH, HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 48, 34, 30


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= value (at least 5, for a readable axis)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 5):
                return step * factor
        step *= 10


def hourly_slots(now, hours: int = 24) -> list:
    # Local hours, as TruncHour buckets them (a +05:30 zone has half-past hours in UTC).
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=hours - 1 - i) for i in range(hours)]


def render_chart(runs_per_hour: list[dict], fresh_history: list[dict], *, now=None, hours: int = 24) -> str:
    """``runs_per_hour``: [{"hour", "outcome", "count"}]; ``fresh_history``: [{"taken_at", "fresh_share"}]."""
    now = now or timezone.now()
    slots = hourly_slots(now, hours)
    totals = {slot: {} for slot in slots}
    for row in runs_per_hour:
        if row["hour"] in totals:
            totals[row["hour"]][row["outcome"]] = totals[row["hour"]].get(row["outcome"], 0) + row["count"]
    peak = _nice_ceiling(max((sum(v.values()) for v in totals.values()), default=0))

    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot_w = plot_w / len(slots)
    start, end = slots[0], slots[-1] + timedelta(hours=1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'style="max-width:{WIDTH}px;font:11px sans-serif" role="img" '
        'aria-label="Syncs per hour by outcome and share of fresh objects, last 24 hours">'
    ]
    # Grid and left axis (runs per hour).
    for i in range(5):
        value = peak * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#8884" />')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="currentColor">{value}</text>')
        parts.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" fill="{FRESH_COLOUR}">{25 * i}%</text>'
        )
    parts.append(f'<text x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end" fill="currentColor">runs/h</text>')
    parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{TOP - 8}" fill="{FRESH_COLOUR}">fresh</text>')

    # Stacked bars, one per hour.
    for index, slot in enumerate(slots):
        x = LEFT + index * slot_w + 2
        y_base = TOP + plot_h
        label = timezone.localtime(slot).strftime("%H:00")
        for outcome, title, colour in OUTCOME_SERIES:
            n = totals[slot].get(outcome, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y_base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y_base:.1f}" width="{slot_w - 4:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {n} {escape(title.lower())}</title></rect>"
            )
        if index % 3 == 0:
            parts.append(
                f'<text x="{x + (slot_w - 4) / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'fill="currentColor">{escape(label)}</text>'
            )

    # Fresh share line over time (right axis).
    points = []
    for point in fresh_history:
        share, taken_at = point["fresh_share"], point["taken_at"]
        if share is None or not (start <= taken_at <= end):
            continue
        x = LEFT + plot_w * (taken_at - start).total_seconds() / (end - start).total_seconds()
        points.append((x, TOP + plot_h * (1 - share), share, taken_at))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{FRESH_COLOUR}" stroke-width="2" />')
    for x, y, share, taken_at in points:
        when = timezone.localtime(taken_at).strftime("%H:%M")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{FRESH_COLOUR}">'
            f"<title>{escape(when)}: {share:.0%} fresh</title></circle>"
        )

    # Legend.
    x = LEFT
    for _, title, colour in OUTCOME_SERIES:
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}" />')
        parts.append(f'<text x="{x + 14}" y="15" fill="currentColor">{escape(title)}</text>')
        x += 24 + 6 * len(title)
    parts.append(f'<line x1="{x}" y1="11" x2="{x + 14}" y2="11" stroke="{FRESH_COLOUR}" stroke-width="2" />')
    parts.append(f'<text x="{x + 18}" y="15" fill="{FRESH_COLOUR}">Fresh or due (share of live objects)</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
