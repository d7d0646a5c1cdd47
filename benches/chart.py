#!/usr/bin/env python3
"""Draws BENCHMARKS.md's chart: time against N for interlog, SQLite and the limit.

Reads the `--json` outputs of the compare example and writes one SVG (no dependencies
beyond the Python standard library, so anyone can redraw it):

    cargo run --release --example compare -- --contacts 1000000 --runs 3 --json > bench-results/compare-1000000.json
    python3 benches/chart.py bench-results/compare-*.json > docs/compare.svg

Both axes are logarithmic: a straight line of slope 1 is linear growth.
"""

import json
import math
import sys

SERIES = [
    ("interlog_s", "interlog", "#1f77b4"),
    ("sqlite_s", "SQLite peer (fastest variant)", "#d62728"),
    ("limit_s", "limit (encode + one file + fsync)", "#7f7f7f"),
]
W, H = 820, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 330, 40, 60
LEGEND_X = 560  # right of the last point's value label


def load(paths):
    rows = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            rows.append(json.load(f))
    rows.sort(key=lambda r: r["contacts"])
    if not rows:
        sys.exit("chart.py: give one or more compare --json files")
    return rows


def decades(lo, hi):
    return list(range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1))


def fmt_n(n):
    if n >= 1_000_000:
        return f"{n / 1_000_000:g}M"
    if n >= 1_000:
        return f"{n / 1_000:g}k"
    return str(n)


def fmt_s(e):
    v = 10.0**e
    return f"{v:g} s"


def main():
    rows = load(sys.argv[1:])
    ns = [r["contacts"] for r in rows]
    ts = [r[k] for r in rows for k, _, _ in SERIES]
    xd = decades(min(ns), max(ns))
    yd = decades(min(ts), max(ts))
    x0, x1 = xd[0], xd[-1]
    y0, y1 = yd[0], yd[-1]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(n):
        return LEFT + (math.log10(n) - x0) / (x1 - x0) * pw

    def y(t):
        return TOP + ph - (math.log10(t) - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14" font-weight="bold">'
        "Logging one segment of N lines with follow-up, durably (median of runs)</text>",
    ]
    for e in yd:
        yy = y(10.0**e)
        out.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{LEFT + pw}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{fmt_s(e)}</text>')
    for n in ns:
        xx = x(n)
        out.append(f'<line x1="{xx:.1f}" y1="{TOP}" x2="{xx:.1f}" y2="{TOP + ph}" stroke="#eee"/>')
        out.append(f'<text x="{xx:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{fmt_n(n)}</text>')
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>'
    )
    out.append(
        f'<text x="{LEFT + pw / 2:.1f}" y="{H - 18}" text-anchor="middle">'
        "N = segment lines (log scale)</text>"
    )
    out.append(
        f'<text transform="translate(16 {TOP + ph / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">wall time (log scale)</text>'
    )
    for i, (key, label, colour) in enumerate(SERIES):
        pts = " ".join(f"{x(r['contacts']):.1f},{y(r[key]):.1f}" for r in rows)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in rows:
            cx, cy = x(r["contacts"]), y(r[key])
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>')
            out.append(
                f'<text x="{cx + 6:.1f}" y="{cy - 6:.1f}" fill="{colour}" font-size="10">'
                f"{r[key]:.2f}</text>"
            )
        ly = TOP + 10 + i * 22
        lx = LEGEND_X
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 22}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 28}" y="{ly + 4}">{label}</text>')
    ly = TOP + 10 + len(SERIES) * 22 + 10
    for j, r in enumerate(rows):
        out.append(
            f'<text x="{LEGEND_X}" y="{ly + j * 16}" font-size="11">'
            f'{fmt_n(r["contacts"])}: ratio {r["interlog_s"] / r["sqlite_s"]:.3f}</text>'
        )
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
