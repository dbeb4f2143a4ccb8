"""Report figures as self-contained, accessible SVG strings.

Every public function here is pure: it takes plain lists and dicts (slices of
the report ``data`` dict, see ``reportdata``) and returns one ``<svg>``
element as a string, ready to be inlined in HTML or rendered by WeasyPrint.
Each figure

* has ``role="img"`` and ``aria-labelledby`` pointing at its ``<title>`` and
  ``<desc>``, a ``viewBox`` and a width in px;
* uses no external references, no scripts and no CSS classes from outside;
* XML-escapes every piece of user text (code names, labels, quotes);
* is deterministic: the same input gives the same string;
* uses "DejaVu Sans" (the one font every renderer here has) and colours whose
  text contrast is at least 4.5:1 (WCAG 2.x AA) against its background, and
  graphics at least 3:1.  A code kind is always shown by colour *and* shape.

Labels are placed with collision avoidance using :func:`text_width`, which
measures text from the DejaVu Sans advance widths (1/1000 em), so the layout
matches what the renderers draw.

Figures: :func:`network_svg`, :func:`heatmap_svg`, :func:`bar_chart_svg`,
:func:`theme_bars_svg`, :func:`genogram_svg`, :func:`ecomap_svg`,
:func:`timeline_svg` and :func:`kind_legend_svg`.

References
----------
.. [1] W3C (2018). Web Content Accessibility Guidelines 2.1, success criteria
   1.4.3 (contrast, minimum) and 1.4.11 (non-text contrast).
   https://www.w3.org/TR/WCAG21/
.. [2] McGoldrick, M., Gerson, R., & Petry, S. (2008). *Genograms:
   Assessment and Intervention* (3rd ed.). Norton. (genogram symbols)
.. [3] Hartman, A. (1995). Diagrammatic assessment of family relationships.
   *Families in Society* 76(2), 111–122. doi:10.1177/104438949507600207
   (the eco-map)
.. [4] Berney, L. R., & Blane, D. B. (1997). Collecting retrospective data:
   accuracy of recall after 50 years judged against historical records.
   *Social Science & Medicine* 45(10), 1519–1525.
   doi:10.1016/S0277-9536(97)00088-9 (the life grid)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "PALETTE",
    "DEFAULT_KINDS",
    "text_width",
    "contrast_ratio",
    "network_svg",
    "heatmap_svg",
    "bar_chart_svg",
    "theme_bars_svg",
    "genogram_svg",
    "ecomap_svg",
    "timeline_svg",
    "kind_legend_svg",
]

# --------------------------------------------------------------------------
# palette and type
# --------------------------------------------------------------------------

FONT = "'DejaVu Sans', sans-serif"
INK = "#0b0c0c"        # body text: 19.6:1 on white
INK_2 = "#505a5f"      # secondary text: 7.1:1 on white, 6.3:1 on PANEL
EDGE = "#858c91"       # co-occurrence lines: 3.4:1 on white (graphics, WCAG 1.4.11)
LINK = "#505a5f"       # "led to" arrows
LOOP = INK             # reinforcing loops: thick and black, readable in greyscale print
RULE = "#b1b4b6"       # axis and borders
FAINT = "#dfe1e2"      # grid lines, zero-cell borders
PANEL = "#f3f2f1"      # note panels, alternate lanes
PAPER = "#ffffff"
SEQ_HIGH = "#1f5f8b"   # darkest step of the sequential (heatmap) scale

#: Colour of each code kind; every colour is at least 4.5:1 against white.
PALETTE = {
    "problem": "#b03a2e",
    "service": "#1f5f8b",
    "support": "#1e7b4f",
    "outcome": "#6c3483",
    "context": "#7d6608",
    "event": "#a04000",
    "other": "#505a5f",
}

#: The default ``kinds`` mapping (the report contract's ``data["kinds"]``).
DEFAULT_KINDS: dict[str, dict[str, str]] = {
    "problem": {"label": "Problems", "color": PALETTE["problem"], "shape": "circle"},
    "service": {"label": "Services and agencies", "color": PALETTE["service"], "shape": "square"},
    "support": {"label": "What helped", "color": PALETTE["support"], "shape": "diamond"},
    "outcome": {"label": "Outcomes", "color": PALETTE["outcome"], "shape": "triangle"},
    "context": {"label": "Family history and context", "color": PALETTE["context"], "shape": "hexagon"},
    "event": {"label": "Events", "color": PALETTE["event"], "shape": "star"},
    "other": {"label": "Other", "color": PALETTE["other"], "shape": "pentagon"},
}

# DejaVu Sans advance widths for ASCII 32..126, in 1/1000 em (from the font's hmtx table).
_W_REG = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)
_W_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696,
    696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821,
    837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457,
    365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
)
_W_EXTRA = {"≈": 838, "·": 318, "–": 500, "—": 1000, "’": 318, "‘": 318, "“": 518, "”": 518,
            "…": 1000, "×": 838, "→": 838, "←": 838, "•": 590}

_XML_ILLEGAL = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UID = "\x00"  # placeholder for the figure id; never survives _clean, so user text cannot forge it


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in px of ``text`` set in DejaVu Sans at ``size`` px (no kerning, so never too small).

    Examples
    --------
    >>> round(text_width("Police", 10), 1)
    29.4
    >>> text_width("Police", 10, bold=True) > text_width("Police", 10)
    True
    """
    table = _W_BOLD if bold else _W_REG
    total = 0.0
    for ch in str(text):
        o = ord(ch)
        if 32 <= o < 127:
            total += table[o - 32]
        elif ch in _W_EXTRA:
            total += _W_EXTRA[ch] * (1.08 if bold else 1.0)
        elif o >= 0x2E80:
            total += 1000
        else:
            total += 720 if bold else 650
    return total * size / 1000.0


def _luminance(color: str) -> float:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours (1 to 21) [1]_.

    Examples
    --------
    >>> round(contrast_ratio("#ffffff", "#0b0c0c"), 1)
    19.6
    """
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def _mix(a: str, b: str, t: float) -> str:
    """Colour ``t`` of the way from ``a`` to ``b`` (sRGB)."""
    ha, hb = a.lstrip("#"), b.lstrip("#")
    ca = [int(ha[i:i + 2], 16) for i in (0, 2, 4)]
    cb = [int(hb[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def _safe_color(color: Any, fallback: str, against: str = PAPER, ratio: float = 3.0) -> str:
    """A valid colour with at least ``ratio`` contrast against ``against``, darkening it if need be."""
    c = str(color) if isinstance(color, str) and _HEX.match(color or "") else fallback
    if len(c) == 4:
        c = "#" + "".join(ch * 2 for ch in c[1:])
    c = c.lower()
    step = 0
    while contrast_ratio(c, against) < ratio and step < 20:
        c = _mix(c, INK, 0.15)
        step += 1
    return c


def _on(fill: str) -> str:
    """Text colour (black or white) with the higher contrast on ``fill``; always at least 4.58:1."""
    return PAPER if contrast_ratio(PAPER, fill) >= contrast_ratio("#000000", fill) else "#000000"


# --------------------------------------------------------------------------
# SVG plumbing
# --------------------------------------------------------------------------


def _clean(value: Any) -> str:
    return _XML_ILLEGAL.sub("", "" if value is None else str(value))


def _esc(value: Any) -> str:
    return escape(_clean(value), {'"': "&quot;", "'": "&#39;"})


def _n(v: float) -> str:
    """Compact, deterministic number formatting for coordinates."""
    s = f"{float(v):.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s in ("-0", "") else s


def _uid(kind: str, *parts: Any) -> str:
    blob = json.dumps([kind, *parts], sort_keys=True, default=str, ensure_ascii=True)
    return f"fig-{kind}-{hashlib.sha1(blob.encode()).hexdigest()[:10]}"


def _svg(kind: str, uid: str, vw: float, vh: float, title: str, desc: str, body: Sequence[str],
         width_px: float | None = None) -> str:
    """Wrap ``body`` in the root element; the drawing is scaled to ``width_px`` if given."""
    width_px = vw if width_px is None else width_px
    height_px = vh * width_px / vw
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{_UID}-title {_UID}-desc" '
        f'viewBox="0 0 {_n(vw)} {_n(vh)}" width="{_n(width_px)}" height="{_n(height_px)}" '
        f'font-family="{FONT}" font-size="12" class="coder-figure coder-{kind}" '
        f'style="max-width:100%;height:auto">'
        f'<title id="{_UID}-title">{_esc(title)}</title><desc id="{_UID}-desc">{_esc(desc)}</desc>'
        f'<rect x="0" y="0" width="{_n(vw)}" height="{_n(vh)}" fill="{PAPER}"/>'
    )
    return (head + "".join(body) + "</svg>").replace(_UID, uid)


def _el(tag: str, inner: str | None = None, **attrs: Any) -> str:
    """An element; numbers are formatted with :func:`_n`, ``stroke_width`` becomes ``stroke-width``.

    Attribute values must be trusted (numbers, colours); user text goes through :func:`_esc`.
    """
    parts = [tag]
    for k, v in attrs.items():
        if v is None:
            continue
        k = k.rstrip("_").replace("_", "-")
        parts.append(f'{k}="{_n(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v}"')
    head = " ".join(parts)
    return f"<{head}/>" if inner is None else f"<{head}>{inner}</{tag}>"


def _text(x: float, y: float, lines: Sequence[str] | str, *, size: float = 12, anchor: str = "start",
          fill: str = INK, bold: bool = False, italic: bool = False, cls: str | None = None,
          lh: float | None = None, full: str | None = None, extra: str = "") -> str:
    """A ``<text>``; several lines become ``<tspan>`` rows ``lh`` px apart (first baseline at ``y``).

    ``full`` (the untruncated text) becomes a tooltip ``<title>`` on a wrapping ``<g>``.
    """
    if isinstance(lines, str):
        lines = [lines]
    lh = size * 1.25 if lh is None else lh
    attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if bold:
        attrs += ' font-weight="bold"'
    if italic:
        attrs += ' font-style="italic"'
    if cls:
        attrs += f' class="{cls}"'
    if len(lines) == 1:
        inner = _esc(lines[0])
    else:
        inner = "".join(
            f'<tspan x="{_n(x)}" dy="{_n(0 if i == 0 else lh)}">{_esc(line)}</tspan>' for i, line in enumerate(lines)
        )
    el = f"<text {attrs}{extra}>{inner}</text>"
    if full is not None and full != " ".join(lines):
        el = f"<g><title>{_esc(full)}</title>{el}</g>"
    return el


def _text_box(x: float, y: float, lines: Sequence[str], size: float, anchor: str = "start",
              lh: float | None = None, bold: bool = False) -> tuple[float, float, float, float]:
    """Bounding box (x0, y0, x1, y1) of a text drawn by :func:`_text` (cap height to descender)."""
    lh = size * 1.25 if lh is None else lh
    w = max((text_width(s, size, bold) for s in lines), default=0.0)
    x0 = x if anchor == "start" else x - w / 2 if anchor == "middle" else x - w
    return (x0, y - 0.8 * size, x0 + w, y + (len(lines) - 1) * lh + 0.24 * size)


def _overlap(a: Sequence[float], b: Sequence[float], pad: float = 0.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def _fit(text: str, max_w: float, size: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so that it is at most ``max_w`` px wide."""
    if text_width(text, size, bold) <= max_w:
        return text
    while text and text_width(text.rstrip(" ,;:-") + "…", size, bold) > max_w:
        text = text[:-1]
    return text.rstrip(" ,;:-") + "…"


def _wrap(text: Any, max_w: float, size: float, max_lines: int = 2, bold: bool = False) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines of ``max_w`` px; the last line is ellipsised."""
    words = _clean(text).split()
    if not words:
        return [""]
    lines: list[str] = []
    cur = ""
    for word in words:
        while text_width(word, size, bold) > max_w and len(word) > 4:  # hard-break a very long word
            k = len(word) - 1
            while k > 1 and text_width(word[:k] + "-", size, bold) > max_w:
                k -= 1
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:k] + "-")
            word = word[k:]
        cand = f"{cur} {word}" if cur else word
        if cur and text_width(cand, size, bold) > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    lines.append(cur)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1:])
        lines = lines[:max_lines - 1] + [_fit(rest, max_w, size, bold)]
    return lines


def _note_figure(kind: str, uid: str, width: float, title: str, desc: str, note: str, height: float = 120) -> str:
    """A figure that is only a centred note in a grey panel (for empty inputs)."""
    lines = _wrap(note, width - 80, 14, max_lines=3)
    lh = 19
    y = height / 2 - (len(lines) - 1) * lh / 2 + 5
    body = [
        f'<path d="M8 8H{_n(width - 8)}V{_n(height - 8)}H8Z" fill="{PANEL}" stroke="{RULE}"/>',
        _text(width / 2, y, lines, size=14, anchor="middle", fill=INK, lh=lh, cls="note"),
    ]
    return _svg(kind, uid, width, height, title, desc, body)


# --------------------------------------------------------------------------
# symbols and legends
# --------------------------------------------------------------------------

# how far each shape reaches from its centre, for a shape of the same area as a circle of radius 1
_EXTENT = {"circle": 1.0, "square": 1.26, "diamond": 1.26, "triangle": 1.56, "hexagon": 1.1,
           "pentagon": 1.15, "star": 1.5, "triangle-down": 1.56}


def _poly(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _regular(cx: float, cy: float, rad: float, k: int, start: float) -> list[tuple[float, float]]:
    return [(cx + rad * math.cos(start + 2 * math.pi * i / k), cy + rad * math.sin(start + 2 * math.pi * i / k))
            for i in range(k)]


def _symbol(shape: str, cx: float, cy: float, r: float, fill: str, *, stroke: str = PAPER,
            sw: float = 1.5, extra: str = "") -> str:
    """A kind symbol centred on (cx, cy) with the area of a circle of radius ``r``."""
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(sw)}"{extra}'
    if shape == "square":
        s = r * 0.886
        return f'<rect x="{_n(cx - s)}" y="{_n(cy - s)}" width="{_n(2 * s)}" height="{_n(2 * s)}" {paint}/>'
    if shape == "diamond":
        d = r * 1.2533
        pts = [(cx, cy - d), (cx + d, cy), (cx, cy + d), (cx - d, cy)]
    elif shape in ("triangle", "triangle-down"):
        rad = r * 1.555
        pts = _regular(cx, cy + (0.2 * r if shape == "triangle" else -0.2 * r), rad, 3,
                       -math.pi / 2 if shape == "triangle" else math.pi / 2)
    elif shape == "hexagon":
        pts = _regular(cx, cy, r * 1.0996, 6, 0)
    elif shape == "pentagon":
        pts = _regular(cx, cy, r * 1.1495, 5, -math.pi / 2)
    elif shape == "star":
        outer, inner = r * 1.45, r * 0.62
        pts = [(cx + (outer if i % 2 == 0 else inner) * math.cos(-math.pi / 2 + i * math.pi / 5),
                cy + (outer if i % 2 == 0 else inner) * math.sin(-math.pi / 2 + i * math.pi / 5)) for i in range(10)]
    else:
        return f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {paint}/>'
    return f'<polygon points="{_poly(pts)}" {paint}/>'


def _kinds(kinds: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, str]]:
    """The kinds mapping completed with defaults; colours checked for 3:1 against white."""
    out = {k: dict(v) for k, v in DEFAULT_KINDS.items()}
    for k, v in (kinds or {}).items():
        base = out.get(k, dict(DEFAULT_KINDS["other"]))
        base.update({kk: str(vv) for kk, vv in dict(v).items() if vv is not None})
        out[str(k)] = base
    for v in out.values():
        v["color"] = _safe_color(v.get("color"), PALETTE["other"])
        if v.get("shape") not in _EXTENT:
            v["shape"] = "circle"
    return out


LegendItem = tuple[float, Callable[[float, float], str], str]


def _legend(items: Sequence[LegendItem], x0: float, y0: float, max_w: float, *, size: float = 11,
            row_h: float = 22, gap: float = 22) -> tuple[list[str], float]:
    """Lay out legend entries (key width, key drawer, label) in rows; returns parts and height."""
    parts: list[str] = []
    x, y = x0, y0
    rows = 1 if items else 0
    for kw, draw, label in items:
        label_w = min(text_width(label, size), max_w - kw - 8)
        label = _fit(label, max_w - kw - 8, size)
        w = kw + 6 + label_w
        if x > x0 and x + w > x0 + max_w:
            x, y = x0, y + row_h
            rows += 1
        cy = y + row_h / 2
        parts.append(draw(x, cy))
        parts.append(_text(x + kw + 6, cy + 0.36 * size, label, size=size, fill=INK, cls="legend"))
        x += w + gap
    return parts, rows * row_h


def _kind_items(kinds: Mapping[str, Mapping[str, str]], present: Sequence[str]) -> list[LegendItem]:
    items: list[LegendItem] = []
    for k in present:
        spec = kinds.get(k, kinds["other"])
        items.append((14, lambda x, cy, s=spec: _symbol(s["shape"], x + 7, cy, 5.5, s["color"], sw=0.8),
                      spec.get("label", k)))
    return items


def kind_legend_svg(kinds: Mapping[str, Mapping[str, Any]] | None = None, *, present: Sequence[str] | None = None,
                    title: str = "Key to code kinds", desc: str = "", width: float = 720) -> str:
    """A stand-alone key: one symbol (colour and shape) and label per code kind.

    Parameters
    ----------
    kinds : mapping
        The report's ``data["kinds"]``: ``{kind: {"label", "color", "shape"}}``.
    present : sequence of str, optional
        Kinds to show, in this order; default all kinds in ``kinds``.
    """
    ks = _kinds(kinds)
    show = list(present) if present is not None else list(kinds or DEFAULT_KINDS)
    if not desc:
        desc = "; ".join(f"{ks.get(k, ks['other'])['label']}: {ks.get(k, ks['other'])['shape']}" for k in show)
    parts, h = _legend(_kind_items(ks, show), 8, 6, width - 16)
    return _svg("legend", _uid("legend", show, ks, title, desc, width), width, h + 12, title, desc, parts)


# --------------------------------------------------------------------------
# geometry helpers for curved arrows
# --------------------------------------------------------------------------


def _qpt(p0, c, p2, t):
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p2[1])


def _qsub(p0, c, p2, t0, t1):
    """The quadratic Bézier between t0 and t1 of (p0, c, p2): (start, control, end)."""
    def blossom(a, b):
        return ((1 - a) * (1 - b) * p0[0] + ((1 - a) * b + a * (1 - b)) * c[0] + a * b * p2[0],
                (1 - a) * (1 - b) * p0[1] + ((1 - a) * b + a * (1 - b)) * c[1] + a * b * p2[1])
    return blossom(t0, t0), blossom(t0, t1), blossom(t1, t1)


def _t_at_distance(p0, c, p2, centre, dist, from_end: bool) -> float:
    """Parameter where the curve is ``dist`` from ``centre``, searching from the start or the end."""
    lo, hi = (0.0, 1.0)
    # distance from centre is monotone near the relevant end: bisect
    for _ in range(40):
        mid = (lo + hi) / 2
        p = _qpt(p0, c, p2, mid)
        d = math.hypot(p[0] - centre[0], p[1] - centre[1])
        if from_end:
            if d > dist:
                lo = mid
            else:
                hi = mid
        else:
            if d < dist:
                lo = mid
            else:
                hi = mid
    return (lo + hi) / 2


def _arrow(p0, p2, r0, r2, *, bend: float, width: float, color: str, dash: str = "", cls: str = "link",
           tip: str = "") -> tuple[str, tuple]:
    """A curved arrow from circle (p0, r0) to circle (p2, r2); bends to the right of its direction."""
    dx, dy = p2[0] - p0[0], p2[1] - p0[1]
    d = math.hypot(dx, dy) or 1.0
    mx, my = (p0[0] + p2[0]) / 2, (p0[1] + p2[1]) / 2
    c = (mx - dy / d * bend * min(d, 260), my + dx / d * bend * min(d, 260))
    head = 7 + 1.6 * width
    t0 = _t_at_distance(p0, c, p2, p0, r0 + 1.5, from_end=False)
    t1 = _t_at_distance(p0, c, p2, p2, r2 + 2.5, from_end=True)
    end = _qpt(p0, c, p2, t1)
    tb = _t_at_distance(p0, c, p2, end, head * 0.8, from_end=True)
    tb = max(t0, min(tb, t1))
    s, cc, e = _qsub(p0, c, p2, t0, tb)
    ux, uy = end[0] - e[0], end[1] - e[1]
    ul = math.hypot(ux, uy) or 1.0
    ux, uy = ux / ul, uy / ul
    base = (end[0] - ux * head, end[1] - uy * head)
    hw = head * 0.45
    pts = [end, (base[0] - uy * hw, base[1] + ux * hw), (base[0] + uy * hw, base[1] - ux * hw)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    svg = (f'<g class="{cls}">{tip}<path d="M{_n(s[0])},{_n(s[1])} Q{_n(cc[0])},{_n(cc[1])} {_n(e[0])},{_n(e[1])}" '
           f'fill="none" stroke="{color}" stroke-width="{_n(width)}"{dash_attr} stroke-linecap="round"/>'
           f'<polygon points="{_poly(pts)}" fill="{color}"/></g>')
    return svg, (p0, c, p2)


# --------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------


def _seg_dist(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> tuple[float, float, float]:
    """Distance from P to segment AB, and the unit vector from the segment to P."""
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / ll))
    qx, qy = ax + t * dx, ay + t * dy
    d = math.hypot(px - qx, py - qy)
    if d == 0:
        ln = math.sqrt(ll) or 1.0
        return 0.0, -dy / ln, dx / ln
    return d, (px - qx) / d, (py - qy) / d


def _separate(cx: list[float], cy: list[float], boxes: Sequence[tuple[float, float, float, float]],
              bounds: tuple[float, float, float, float], pad: float, *, segs: Sequence[tuple[int, int]] = (),
              ext: Sequence[float] = (), pairs: Sequence[tuple[int, int]] = (), min_pair: float = 0.0,
              iters: int = 700) -> bool:
    """Move points so that their boxes (offsets from the point) do not overlap, inside ``bounds``.

    For the first half of the iterations it also keeps each point ``ext[k] + 8`` px away from
    the segments ``segs`` it is not an end of, and the points of each of ``pairs`` at least
    ``min_pair`` apart.  Returns whether all boxes ended up apart.
    """
    n = len(cx)

    def clamp(i):
        bx0, by0, bx1, by1 = boxes[i]
        cx[i] = min(max(cx[i], bounds[0] - bx0), bounds[2] - bx1)
        cy[i] = min(max(cy[i], bounds[1] - by0), bounds[3] - by1)

    for i in range(n):
        clamp(i)
    soft = iters // 2
    for it in range(iters):
        moved = False
        nudged = False
        if it < soft:
            for a, b in segs:
                for k in range(n):
                    if k in (a, b):
                        continue
                    d, ux, uy = _seg_dist(cx[k], cy[k], cx[a], cy[a], cx[b], cy[b])
                    need = ext[k] + 8
                    if d < need:
                        nudged = True
                        step = (need - d) * 0.5 + 0.05
                        cx[k] += ux * step
                        cy[k] += uy * step
                        clamp(k)
            for a, b in pairs:
                dx, dy = cx[b] - cx[a], cy[b] - cy[a]
                d = math.hypot(dx, dy)
                if d < min_pair - 0.5:
                    nudged = True
                    ux, uy = (dx / d, dy / d) if d > 0 else (1.0, 0.0)
                    step = (min_pair - d) / 2 * 0.5
                    cx[a] -= ux * step
                    cy[a] -= uy * step
                    cx[b] += ux * step
                    cy[b] += uy * step
                    clamp(a)
                    clamp(b)
        for i in range(n):
            for j in range(i + 1, n):
                a = (cx[i] + boxes[i][0], cy[i] + boxes[i][1], cx[i] + boxes[i][2], cy[i] + boxes[i][3])
                b = (cx[j] + boxes[j][0], cy[j] + boxes[j][1], cx[j] + boxes[j][2], cy[j] + boxes[j][3])
                ox = min(a[2], b[2]) - max(a[0], b[0]) + pad
                oy = min(a[3], b[3]) - max(a[1], b[1]) + pad
                if ox <= 0 or oy <= 0:
                    continue
                moved = True
                acx, bcx = (a[0] + a[2]) / 2, (b[0] + b[2]) / 2
                acy, bcy = (a[1] + a[3]) / 2, (b[1] + b[3]) / 2
                # late in the search, alternate axes so that boxes pinned to a wall can slide past
                horizontal = ox < oy if it < soft + iters // 4 else (ox < oy) != ((i + j + it) % 3 == 0)
                if horizontal:
                    s = 1.0 if acx < bcx or (acx == bcx and i < j) else -1.0
                    cx[i] -= s * (ox / 2 + 0.05)
                    cx[j] += s * (ox / 2 + 0.05)
                else:
                    s = 1.0 if acy < bcy or (acy == bcy and i < j) else -1.0
                    cy[i] -= s * (oy / 2 + 0.05)
                    cy[j] += s * (oy / 2 + 0.05)
                clamp(i)
                clamp(j)
        if not moved and (it >= soft or not nudged):
            return True
    return False


def _layout(ids: Sequence[str], weights: Mapping[tuple[str, str], float], seed: int,
            aspect: float = 1.6) -> dict[str, tuple[float, float]]:
    """Deterministic positions in [0, 1]².

    Each connected component is laid out on its own (Kamada–Kawai; a spring layout with
    ``seed`` if SciPy is missing; circular for ≤ 3 nodes), scaled by the square root of
    its size, and the components are packed in columns, largest first, to fill an area of
    the given aspect ratio.
    """
    n = len(ids)
    if n == 1:
        return {ids[0]: (0.5, 0.5)}
    import networkx as nx  # heavy: imported only when a network is drawn

    g = nx.Graph()
    g.add_nodes_from(ids)
    for (a, b), w in weights.items():
        g.add_edge(a, b, weight=w)
    order = {k: i for i, k in enumerate(ids)}
    comps = sorted((sorted(c, key=order.get) for c in nx.connected_components(g)),
                   key=lambda c: (-len(c), order[c[0]]))
    blocks = []
    for comp in comps:
        m = len(comp)
        if m == 1:
            pts = {comp[0]: (0.0, 0.0)}
        elif m <= 3:
            pts = {k: (math.cos(-math.pi / 2 + 2 * math.pi * i / m + (math.pi / 2 if m == 2 else 0)),
                       math.sin(-math.pi / 2 + 2 * math.pi * i / m + (math.pi / 2 if m == 2 else 0)))
                   for i, k in enumerate(comp)}
        else:
            sub = g.subgraph(comp)
            start = {k: (math.cos(2 * math.pi * i / m), math.sin(2 * math.pi * i / m)) for i, k in enumerate(comp)}
            try:
                raw = nx.kamada_kawai_layout(sub, pos=start, weight=None)
            except ImportError:  # no SciPy
                raw = nx.spring_layout(sub, pos=start, seed=seed, iterations=300, weight=None)
            pts = {k: (float(raw[k][0]), float(raw[k][1])) for k in comp}
        xs = [p[0] for p in pts.values()]
        ys = [p[1] for p in pts.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        scale = 0.9 * math.sqrt(m) / span if m > 1 else 0.0
        pts = {k: (round((p[0] - min(xs)) * scale, 6), round((p[1] - min(ys)) * scale, 6)) for k, p in pts.items()}
        w = max(p[0] for p in pts.values())
        h = max(p[1] for p in pts.values())
        blocks.append((pts, w, h))
    # column packing, one unit of margin around each block: the largest component fills the
    # first column, smaller ones stack in columns to its right
    total = sum((w + 1) * (h + 1) for _, w, h in blocks)
    col_h = max(blocks[0][2] + 1, math.sqrt(total / aspect))
    x = y = col_w = 0.0
    out: dict[str, tuple[float, float]] = {}
    for pts, w, h in blocks:
        if y > 0 and y + h + 1 > col_h + 1e-9:
            x, y, col_w = x + col_w, 0.0, 0.0
        for k, p in pts.items():
            out[k] = (x + p[0], y + p[1])
        y += h + 1
        col_w = max(col_w, w + 1)
    xs = [out[k][0] for k in ids]
    ys = [out[k][1] for k in ids]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx, sy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    cxn = 0.5 if x1 == x0 else None
    cyn = 0.5 if y1 == y0 else None
    return {k: (cxn if cxn is not None else (out[k][0] - x0) / sx, cyn if cyn is not None else (out[k][1] - y0) / sy)
            for k in ids}


def _seg_hits_box(a: tuple[float, float], b: tuple[float, float], box: Sequence[float]) -> bool:
    """Whether segment AB crosses the rectangle (Liang–Barsky clipping)."""
    x0, y0, x1, y1 = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def network_svg(nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]], *,
                links: Sequence[Mapping[str, Any]] = (), loops: Sequence[Mapping[str, Any]] = (),
                kinds: Mapping[str, Mapping[str, Any]] | None = None, title: str, desc: str,
                width: float = 720, height: float = 520, seed: int = 42, empty_note: str | None = None) -> str:
    """Network of codes: co-occurrence lines, "led to" arrows and reinforcing loops.

    Parameters
    ----------
    nodes : list of dict
        ``{"id", "name", "kind", "frequency"}``; symbol area grows with ``frequency``,
        colour and shape come from ``kinds[kind]``.
    edges : list of dict
        Undirected co-occurrence ``{"source", "target", "count"}``; line width grows with
        ``count``; ``"significant": False`` draws the line dashed.
    links : list of dict
        Directed ``{"from", "to", "count"}`` (a participant said A led to B), drawn as
        curved arrows so that A → B and B → A both show.
    loops : list of dict
        ``{"codes": [a, b, ...]}`` reinforcing loops a → b → … → a; their arrows are
        thick and black, tagged "Loop n", and listed in words under the key.
    kinds : mapping
        ``data["kinds"]``: ``{kind: {"label", "color", "shape"}}``.
    title, desc : str
        Accessible name and description (``<title>``, ``<desc>``).
    width, height : float
        Size in px.  If the labels cannot be placed without overlap, the drawing
        area grows and the figure is scaled down to ``width``.
    seed : int
        Seed of the spring layout (used when the graph is disconnected).
    empty_note : str, optional
        Note shown when there are no nodes or no edges or links.

    Returns
    -------
    str
        One ``<svg>`` element.
    """
    ks = _kinds(kinds)
    uid = _uid("network", nodes, edges, links, loops, ks, title, desc, width, height, seed, empty_note)
    note = empty_note or "No problems co-occur in this family's talk"
    node_by_id: dict[str, dict[str, Any]] = {}
    for nd in nodes or ():
        if nd.get("id") is not None and str(nd["id"]) not in node_by_id:
            node_by_id[str(nd["id"])] = dict(nd)
    edges = [e for e in (edges or ()) if e.get("source") is not None and e.get("target") is not None
             and str(e["source"]) != str(e["target"])]
    links = [lk for lk in (links or ()) if lk.get("from") is not None and lk.get("to") is not None
             and str(lk["from"]) != str(lk["to"])]
    if not node_by_id or (not edges and not links):
        return _note_figure("network", uid, width, title, desc, note)

    def ensure(code: str, name: Any, kind: str) -> None:
        if code not in node_by_id:
            node_by_id[code] = {"id": code, "name": name or code, "kind": kind, "frequency": None}

    for e in edges:
        ensure(str(e["source"]), None, "other")
        ensure(str(e["target"]), None, "other")
    for lk in links:
        ensure(str(lk["from"]), lk.get("from_name"), "problem")
        ensure(str(lk["to"]), lk.get("to_name"), "problem")
    loop_edges: dict[tuple[str, str], int] = {}
    loop_list: list[list[str]] = []
    for lp in loops or ():
        codes = [str(c) for c in (lp.get("codes") or [])]
        if len(codes) < 2:
            continue
        names = list(lp.get("names") or [])
        for i, c in enumerate(codes):
            ensure(c, names[i] if i < len(names) else None, "problem")
        loop_list.append(codes)
        for i, c in enumerate(codes):
            loop_edges.setdefault((c, codes[(i + 1) % len(codes)]), len(loop_list))

    ids = list(node_by_id)
    n = len(ids)
    names = {k: _clean(node_by_id[k].get("name") or k) for k in ids}
    freqs = {}
    for k in ids:
        f = node_by_id[k].get("frequency")
        freqs[k] = float(f) if isinstance(f, (int, float)) and f == f and f > 0 else 0.0
    fmax = max(freqs.values()) or 1.0
    r_min, r_max = 6.0, (17.0 if n <= 12 else 14.0)
    fmin_known = min((f for f in freqs.values() if f > 0), default=fmax)
    radius = {k: r_min + (r_max - r_min) * math.sqrt((freqs[k] or fmin_known) / fmax) for k in ids}
    shape = {k: ks.get(str(node_by_id[k].get("kind")), ks["other"])["shape"] for k in ids}
    extent = {k: radius[k] * _EXTENT[shape[k]] for k in ids}

    # --- key first, so that we know how much room the drawing has
    present = []
    for k in ids:
        kd = str(node_by_id[k].get("kind")) if str(node_by_id[k].get("kind")) in ks else "other"
        if kd not in present:
            present.append(kd)
    present.sort(key=lambda kd: list(ks).index(kd))
    items = _kind_items(ks, present)
    items.append((26, lambda x, cy: _symbol("circle", x + 4, cy, 3, INK_2, sw=0)
                  + _symbol("circle", x + 18, cy, 7, INK_2, sw=0), "Larger: talked about more"))
    if edges:
        items.append((30, lambda x, cy: f'<path d="M{_n(x)},{_n(cy)}h30" stroke="{EDGE}" stroke-width="3"/>',
                      "Talked about together (thicker: more often)"))
    if any(e.get("significant") is False for e in edges):
        items.append((30, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy)}h30", stroke=EDGE, stroke_width=2,
                                            stroke_dasharray="5 4"), "Together, but not more than chance"))
    if any((str(lk["from"]), str(lk["to"])) not in loop_edges for lk in links):
        items.append((30, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy)}h22", stroke=LINK, stroke_width=1.6)
                      + _el("polygon", points=_poly([(x + 30, cy), (x + 21, cy - 4.5), (x + 21, cy + 4.5)]), fill=LINK),
                      "Said one led to the other"))
    if loop_edges:
        items.append((30, lambda x, cy: f'<path d="M{_n(x)},{_n(cy)}h20" stroke="{LOOP}" stroke-width="3.2"/>'
                      f'<polygon points="{_poly([(x + 30, cy), (x + 18, cy - 6), (x + 18, cy + 6)])}" fill="{LOOP}"/>',
                      "Reinforcing loop (vicious circle)"))

    def loop_lines(view_w: float) -> list[str]:
        out = []
        for i, codes in enumerate(loop_list, 1):
            chain = " → ".join(names[c] for c in codes + [codes[0]])
            out.extend(_wrap(f"Loop {i}: {chain}", view_w - 32, 11, max_lines=3))
        return out

    # --- place nodes and their labels, growing the drawing area until nothing overlaps
    label_size, lh = 11.0, 13.5
    label_w_max = 150.0 if n <= 10 else 128.0
    labels = {k: _wrap(names[k], label_w_max, label_size, max_lines=2) for k in ids}
    lbox = {k: _text_box(0, 0, labels[k], label_size, "middle", lh) for k in ids}
    boxes = []
    for k in ids:
        hw = max(extent[k], (lbox[k][2] - lbox[k][0]) / 2) + 2
        top = -extent[k] - 2
        bottom = extent[k] + 4 + (lbox[k][3] - lbox[k][1]) + 2
        boxes.append((-hw, top, hw, bottom))
    weights: dict[tuple[str, str], float] = {}
    for e in edges:
        a, b = sorted((str(e["source"]), str(e["target"])))
        weights[(a, b)] = weights.get((a, b), 0) + 1
    for a0, b0 in [(str(lk["from"]), str(lk["to"])) for lk in links] + list(loop_edges):
        a, b = sorted((a0, b0))
        weights[(a, b)] = weights.get((a, b), 0) + 1
    idx = {k: i for i, k in enumerate(ids)}
    drawn = {(str(lk["from"]), str(lk["to"])): lk for lk in links}
    for pair in loop_edges:
        drawn.setdefault(pair, {"from": pair[0], "to": pair[1], "count": None})
    segs = sorted({tuple(sorted((idx[a], idx[b]))) for a, b in list(weights)})
    link_pairs = sorted({tuple(sorted((idx[a], idx[b]))) for a, b in drawn})

    view_w, view_h = float(width), float(height)
    for _attempt in range(12):
        _, leg_h = _legend(items, 16, 0, view_w - 32)
        extra_lines = loop_lines(view_w)
        legend_h = leg_h + (len(extra_lines) * 15 + 6 if extra_lines else 0) + 14
        bounds = (12.0, 12.0, view_w - 12, view_h - legend_h - 10)
        mx = max(b[2] for b in boxes)
        top_b, bot_b = min(b[1] for b in boxes), max(b[3] for b in boxes)
        inner_w = bounds[2] - bounds[0] - 2 * mx
        inner_h = bounds[3] - bounds[1] - bot_b + top_b
        unit = _layout(ids, weights, seed, aspect=max(inner_w, 1) / max(inner_h, 1))
        # a small network stays compact, in the middle of the drawing area
        use_w = min(max(inner_w, 1), 170 * math.sqrt(n))
        use_h = min(max(inner_h, 1), 130 * math.sqrt(n))
        off_x = (max(inner_w, 1) - use_w) / 2
        off_y = (max(inner_h, 1) - use_h) / 2
        cx = [bounds[0] + mx + off_x + unit[k][0] * use_w for k in ids]
        cy = [bounds[1] - top_b + off_y + unit[k][1] * use_h for k in ids]
        if inner_w > 0 and inner_h > 0 and _separate(cx, cy, boxes, bounds, pad=6, segs=segs,
                                                      ext=[extent[k] for k in ids], pairs=link_pairs, min_pair=90):
            break
        view_w *= 1.12
        view_h *= 1.12
    # a network that needs less height than it was given gives the rest back
    used_top = min(cy[i] + boxes[i][1] for i in range(n))
    used_bottom = max(cy[i] + boxes[i][3] for i in range(n))
    bulge = 26.0 if drawn else 0.0  # room for the curve of an arrow and its loop tag
    if used_bottom - used_top + 2 * bulge < bounds[3] - bounds[1] - 1:
        dy = bounds[1] + bulge - used_top
        cy = [y + dy for y in cy]
        view_h -= (bounds[3] - bounds[1]) - (used_bottom - used_top + 2 * bulge)
        bounds = (bounds[0], bounds[1], bounds[2], bounds[1] + used_bottom - used_top + 2 * bulge)
    pos = {k: (cx[i], cy[i]) for i, k in enumerate(ids)}

    # geometry of every line, for label placement
    bends = {(a, b): (0.16 if (b, a) in drawn else 0.1) for a, b in drawn}
    polylines: list[list[tuple[float, float]]] = []
    for a, b in weights:
        polylines.append([pos[a], pos[b]])
    for (a, b), bend in bends.items():
        p0, p2 = pos[a], pos[b]
        dx, dy = p2[0] - p0[0], p2[1] - p0[1]
        dd = math.hypot(dx, dy) or 1.0
        k_b = bend * min(dd, 260) / dd
        c = ((p0[0] + p2[0]) / 2 - dy * k_b, (p0[1] + p2[1]) / 2 + dx * k_b)
        polylines.append([_qpt(p0, c, p2, t / 8) for t in range(9)])
    node_boxes = {k: (pos[k][0] - extent[k], pos[k][1] - extent[k], pos[k][0] + extent[k], pos[k][1] + extent[k])
                  for k in ids}

    def candidates(k):
        x, y = pos[k]
        ls = labels[k]
        box_h = (len(ls) - 1) * lh + 1.04 * label_size
        e = extent[k]
        yield "middle", x, y + e + 4 + 0.8 * label_size
        yield "middle", x, y - e - 4 - (len(ls) - 1) * lh - 0.24 * label_size
        yield "start", x + e + 5, y - box_h / 2 + 0.8 * label_size
        yield "end", x - e - 5, y - box_h / 2 + 0.8 * label_size

    label_at: dict[str, tuple[str, float, float, tuple[float, float, float, float]]] = {}
    for k in ids:
        anchor, x, y = next(candidates(k))
        label_at[k] = (anchor, x, y, _text_box(x, y, labels[k], label_size, anchor, lh))
    for k in ids:  # move a label off the lines when another side is free
        best = None
        for rank, (anchor, x, y) in enumerate(candidates(k)):
            box = _text_box(x, y, labels[k], label_size, anchor, lh)
            if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                continue
            if any(_overlap(box, label_at[o][3], 6) for o in ids if o != k):
                continue
            if any(_overlap(box, node_boxes[o], 2) for o in ids if o != k):
                continue
            hits = sum(any(_seg_hits_box(pl[i], pl[i + 1], box) for i in range(len(pl) - 1)) for pl in polylines)
            score = hits * 10 + rank
            if best is None or score < best[0]:
                best = (score, anchor, x, y, box)
        if best is not None:
            label_at[k] = best[1:]

    parts: list[str] = []
    # co-occurrence lines, under everything
    cmax = max((float(e.get("count") or 1) for e in edges), default=1.0) or 1.0
    for e in sorted(edges, key=lambda e: (float(e.get("count") or 1), str(e["source"]), str(e["target"]))):
        a, b = str(e["source"]), str(e["target"])
        w = 1.0 + 5.0 * float(e.get("count") or 1) / cmax
        dash = ' stroke-dasharray="5 4"' if e.get("significant") is False else ""
        tip = _el("title", f"{_esc(names[a])} and {_esc(names[b])}: talked about together ({_esc(e.get('count'))})")
        parts.append(f'<g class="edge">{tip}<path d="M{_n(pos[a][0])},{_n(pos[a][1])}L{_n(pos[b][0])},{_n(pos[b][1])}" '
                     f'stroke="{EDGE}" stroke-width="{_n(w)}" stroke-opacity="0.9"{dash} stroke-linecap="round"/></g>')
    # directed links and loops
    curves: dict[tuple[str, str], tuple] = {}
    for a, b in sorted(drawn, key=lambda p: (p in loop_edges, p)):
        is_loop = (a, b) in loop_edges
        tip = f"<title>{_esc(names[a])} led to {_esc(names[b])}</title>"
        svg, curve = _arrow(pos[a], pos[b], extent[a], extent[b], bend=bends[(a, b)],
                            width=3.2 if is_loop else 1.6, color=LOOP if is_loop else LINK,
                            cls="loop-edge" if is_loop else "link", tip=tip)
        parts.append(svg)
        curves[(a, b)] = curve
    # nodes, biggest first so that small ones stay visible
    for k in sorted(ids, key=lambda k: (-radius[k], idx[k])):
        spec = ks.get(str(node_by_id[k].get("kind")), ks["other"])
        tip = f"<title>{_esc(names[k])}</title>"
        symbol = _symbol(spec["shape"], pos[k][0], pos[k][1], radius[k], spec["color"])
        parts.append(_el("g", tip + symbol, class_="node"))
    # labels on a white ground, so that lines passing behind do not cut them
    placed: list[tuple[float, float, float, float]] = []
    for k in ids:
        anchor, x, base, bx = label_at[k]
        placed.append(bx)
        parts.append(f'<rect x="{_n(bx[0] - 2)}" y="{_n(bx[1] - 1)}" width="{_n(bx[2] - bx[0] + 4)}" '
                     f'height="{_n(bx[3] - bx[1] + 2)}" rx="2" fill="{PAPER}" fill-opacity="0.88"/>')
        parts.append(_text(x, base, labels[k], size=label_size, anchor=anchor, lh=lh, cls="node-label",
                           full=names[k]))
    # loop tags, where they fit
    obstacles = placed + [(pos[k][0] - extent[k], pos[k][1] - extent[k], pos[k][0] + extent[k], pos[k][1] + extent[k])
                          for k in ids]
    for i, codes in enumerate(loop_list, 1):
        tag = f"Loop {i}"
        tw = text_width(tag, 10, bold=True) + 8
        th = 15.0
        done = False
        for j in range(len(codes)):
            if done:
                break
            pair = (codes[j], codes[(j + 1) % len(codes)])
            if pair not in curves:
                continue
            p0, c, p2 = curves[pair]
            for t in (0.5, 0.4, 0.6, 0.3, 0.7):
                if done:
                    break
                px, py = _qpt(p0, c, p2, t)
                for off in (16.0, -16.0, 24.0, -24.0, 0.0):
                    ddx, ddy = p2[0] - p0[0], p2[1] - p0[1]
                    dl = math.hypot(ddx, ddy) or 1.0
                    qx, qy = px - ddy / dl * off, py + ddx / dl * off
                    box = (qx - tw / 2, qy - th / 2, qx + tw / 2, qy + th / 2)
                    if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                        continue
                    if any(_overlap(box, o, 2) for o in obstacles):
                        continue
                    obstacles.append(box)
                    parts.append(_el("rect", x=box[0], y=box[1], width=tw, height=th, rx=3, fill=LOOP))
                    parts.append(_text(qx, qy + 3.6, tag, size=10, anchor="middle", fill=PAPER, bold=True,
                                       cls="loop-label"))
                    done = True
                    break
    # key
    ly = view_h - legend_h + 4
    parts.append(f'<path d="M16,{_n(ly - 4)}H{_n(view_w - 16)}" stroke="{FAINT}"/>')
    leg_parts, leg_h = _legend(items, 16, ly, view_w - 32)
    parts.extend(leg_parts)
    y = ly + leg_h + 14
    for line in loop_lines(view_w):
        parts.append(_text(16, y, line, size=11, fill=INK, cls="legend"))
        y += 15
    return _svg("network", uid, view_w, view_h, title, desc, parts, width_px=width)


# --------------------------------------------------------------------------
# heatmap
# --------------------------------------------------------------------------


def _seq(t: float) -> str:
    """Sequential blue scale, t in [0, 1] from near-white to SEQ_HIGH."""
    return _mix("#eef4f8", SEQ_HIGH, max(0.0, min(1.0, t)))


def heatmap_svg(row_labels: Sequence[Any], col_labels: Sequence[Any], values: Sequence[Sequence[Any]], *,
                title: str, desc: str, value_label: str = "units", max_width: float = 720,
                empty_note: str | None = None) -> str:
    """Cases × codes matrix with the count printed in every non-zero cell.

    Parameters
    ----------
    row_labels, col_labels : sequence of str
        Cases (rows, labelled on the left) and code names (columns, headers at −45°).
    values : list of list of number
        ``values[i][j]`` for row i, column j; ``None`` counts as 0.
    value_label : str
        What a cell counts, for the key ("Number of units").
    max_width : float
        The figure is at most this wide (px); cells shrink, then the drawing scales.

    Returns
    -------
    str
        One ``<svg>`` element.  Cells use a single-hue scale from light to dark
        blue; the number is white on dark cells and black on light ones (at least
        4.5:1 either way); zero cells are white with a grey border and a "·".
    """
    rows = [_clean(r) for r in row_labels or ()]
    cols = [_clean(c) for c in col_labels or ()]
    uid = _uid("heatmap", rows, cols, values, title, desc, value_label, max_width, empty_note)
    if not rows or not cols:
        return _note_figure("heatmap", uid, max_width, title, desc,
                            empty_note or "Nothing to show: no cases or no codes")
    grid = []
    for i in range(len(rows)):
        row = list(values[i]) if i < len(values or ()) else []
        grid.append([float(row[j]) if j < len(row) and isinstance(row[j], (int, float)) and row[j] == row[j] else 0.0
                     for j in range(len(cols))])
    vmax = max((v for r in grid for v in r), default=0.0) or 1.0
    size = 11.0
    row_w = min(max(text_width(r, size) for r in rows), 170.0)
    row_txt = [_fit(r, 170.0, size) for r in rows]
    col_txt = [_fit(c, 190.0, size) for c in cols]
    col_w = [text_width(c, size) for c in col_txt]
    left = 12 + row_w + 10
    cos45 = math.sqrt(0.5)
    cell = 34.0
    key_label = f"Number of {_clean(value_label)}"
    steps, sw = 5, 34.0
    legend_w = text_width(key_label, 11) + 12 + steps * sw + 16 + 20 + text_width("not mentioned", 11)
    while True:
        right_reach = max(left + (j + 0.5) * cell + 4 + col_w[j] * cos45 for j in range(len(cols)))
        total_w = max(left + len(cols) * cell + 12, right_reach + 12, legend_w + 24)
        if total_w <= max_width or cell <= 22:
            break
        cell -= 1
    head_h = max(col_w) * cos45 + 18
    top = 12 + head_h
    grid_h = len(rows) * cell
    legend_y = top + grid_h + 22
    view_w = total_w
    view_h = legend_y + 46
    num_size = min(11.0, cell * 0.38)
    parts: list[str] = []
    for j, c in enumerate(col_txt):
        x = left + (j + 0.5) * cell + 3
        y = top - 7
        parts.append(_text(0, 0, c, size=size, cls="col-label", full=cols[j],
                           extra=f' transform="translate({_n(x)},{_n(y)}) rotate(-45)"'))
    for i, r in enumerate(row_txt):
        y = top + (i + 0.5) * cell + 0.36 * size
        parts.append(_text(left - 10, y, r, size=size, anchor="end", cls="row-label", full=rows[i]))
        for j in range(len(cols)):
            v = grid[i][j]
            x0, y0 = left + j * cell, top + i * cell
            tip = f"<title>{_esc(rows[i])}, {_esc(cols[j])}: {_n(v)}</title>"
            if v <= 0:
                box = _el("rect", x=x0 + 0.5, y=y0 + 0.5, width=cell - 1, height=cell - 1, fill=PAPER, stroke=FAINT)
                dot = _text(x0 + cell / 2, y0 + cell / 2 + 0.36 * num_size, "·", size=num_size, anchor="middle",
                            fill=INK_2)
                parts.append(_el("g", tip + box + dot))
                continue
            fill = _seq(0.12 + 0.88 * v / vmax)
            label = _n(v)
            box = _el("rect", x=x0 + 0.5, y=y0 + 0.5, width=cell - 1, height=cell - 1, fill=fill)
            num = _text(x0 + cell / 2, y0 + cell / 2 + 0.36 * num_size, label, size=num_size, anchor="middle",
                        fill=_on(fill), cls="cell")
            parts.append(_el("g", tip + box + num))
    # key: five steps of the scale, with values
    kx = 12.0
    parts.append(_text(kx, legend_y + 11, key_label, size=11, fill=INK, cls="legend"))
    kx2 = kx + text_width(key_label, 11) + 12
    for s in range(steps):
        v = vmax * (s + 1) / steps
        fill = _seq(0.12 + 0.88 * (s + 1) / steps)
        parts.append(_el("rect", x=kx2 + s * sw, y=legend_y, width=sw - 1, height=14, fill=fill))
        parts.append(_text(kx2 + s * sw + sw / 2, legend_y + 27, _n(round(v)), size=9.5, anchor="middle", fill=INK_2))
    zx = kx2 + steps * sw + 16
    parts.append(f'<rect x="{_n(zx)}" y="{_n(legend_y)}" width="14" height="14" fill="{PAPER}" stroke="{FAINT}"/>')
    parts.append(_text(zx + 7, legend_y + 11, "·", size=10, anchor="middle", fill=INK_2))
    parts.append(_text(zx + 20, legend_y + 11, "not mentioned", size=11, fill=INK, cls="legend"))
    return _svg("heatmap", uid, view_w, view_h, title, desc, parts, width_px=min(view_w, max_width))


# --------------------------------------------------------------------------
# bars
# --------------------------------------------------------------------------


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else None


def bar_chart_svg(items: Sequence[Mapping[str, Any]], *, title: str, desc: str, max_value: float | None = None,
                  width: float = 720, empty_note: str | None = None) -> str:
    """Horizontal bars, labelled directly: label, bar, then "n/N (xx%)".

    Parameters
    ----------
    items : list of dict
        ``{"label", "value", "n", "N", "color"}`` in the order to draw them.  The text
        after the bar is ``item["text"]`` if given, else "n/N (xx%)", else the value.
        ``color`` defaults to dark blue and is darkened if lighter than 3:1 on white.
    max_value : float, optional
        Value of a full-length bar; default the largest value.
    """
    uid = _uid("bars", items, title, desc, max_value, width, empty_note)
    items = [dict(it) for it in items or ()]
    if not items:
        return _note_figure("bars", uid, width, title, desc, empty_note or "Nothing to show")
    size = 11.5
    lh = 14.0
    label_max = width * 0.36
    labels = [_wrap(it.get("label", ""), label_max, size, max_lines=3) for it in items]
    label_w = max(text_width(s, size) for ls in labels for s in ls)
    texts = []
    for it in items:
        if it.get("text") is not None:
            texts.append(_clean(it["text"]))
            continue
        n, big_n, v = _num(it.get("n")), _num(it.get("N")), _num(it.get("value"))
        if n is not None and big_n:
            texts.append(f"{_n(n)}/{_n(big_n)} ({round(100 * n / big_n)}%)")
        elif n is not None:
            texts.append(_n(n))
        else:
            texts.append(_n(v or 0))
    text_w = max(text_width(t, size) for t in texts)
    x0 = 12 + label_w + 12
    bar_w = width - x0 - 8 - text_w - 14
    vals = [max(_num(it.get("value")) or 0.0, 0.0) for it in items]
    vmax = _num(max_value) or max(vals) or 1.0
    parts: list[str] = []
    y = 12.0
    for it, ls, txt, v in zip(items, labels, texts, vals):
        row_h = max(26.0, len(ls) * lh + 12)
        mid = y + row_h / 2
        color = _safe_color(it.get("color"), SEQ_HIGH)
        length = bar_w * min(v / vmax, 1.0)
        first = mid - (len(ls) - 1) * lh / 2 + 0.36 * size
        full = _clean(it.get("label", ""))
        parts.append(_text(x0 - 12, first, ls, size=size, anchor="end", lh=lh, cls="bar-label", full=full))
        parts.append(f'<g><title>{_esc(full)}: {_esc(txt)}</title><rect x="{_n(x0)}" y="{_n(mid - 8)}" '
                     f'width="{_n(max(length, 0))}" height="16" fill="{color}"/></g>')
        parts.append(_text(x0 + length + 6, mid + 0.36 * size, txt, size=size, fill=INK, cls="bar-value"))
        y += row_h
    parts.append(f'<path d="M{_n(x0)},8V{_n(y + 4)}" stroke="{INK_2}" stroke-width="1"/>')
    return _svg("bars", uid, width, y + 12, title, desc, parts)


def theme_bars_svg(themes: Any, *, title: str, desc: str, width: float = 720, unit: str = "units") -> str:
    """Sizes of the emergent themes, one bar each, labelled by their first three keywords.

    ``themes`` is ``data["themes"]`` (a dict with ``"themes"``), its list, or ``None``.
    Themes are drawn largest first; a theme with no matching code is marked "(new)".
    """
    if isinstance(themes, Mapping):
        themes = themes.get("themes")
    themes = list(themes or [])
    items = []
    for th in sorted(themes, key=lambda t: -(_num(t.get("size")) or 0)):
        kws = [_clean(k) for k in (th.get("keywords") or [])[:3]]
        label = ", ".join(kws) or f"Theme {th.get('id', '')}"
        if th.get("new"):
            label += " (new)"
        size = _num(th.get("size")) or 0
        k = len(th.get("cases") or [])
        text = f"{_n(size)} {unit}" + (f", {k} {'family' if k == 1 else 'families'}" if k else "")
        items.append({"label": label, "value": size, "text": text, "color": SEQ_HIGH})
    return bar_chart_svg(items, title=title, desc=desc, width=width,
                         empty_note="No themes: the theme analysis has not been run")


# --------------------------------------------------------------------------
# genogram
# --------------------------------------------------------------------------

_PARTNER = {"mother", "father", "stepmother", "stepfather", "partner", "ex-partner", "wife", "husband",
            "grandmother", "grandfather", "nan", "grandad", "great-grandmother", "great-grandfather"}
_EX = {"ex-partner", "ex-wife", "ex-husband"}


def _age_key(age: str) -> float:
    m = re.match(r"\s*(\d+)", age or "")
    return -float(m.group(1)) if m else 0.0


def _age_text(age: str) -> str:
    age = (age or "").strip()
    if not age:
        return ""
    if age == "0":
        return "under 1"
    return "age " + age.replace("-", "–")


def genogram_svg(members: Sequence[Mapping[str, Any]], *, title: str, desc: str, width: float = 560,
                 empty_note: str | None = None) -> str:
    """Household genogram: generations as rows, partners joined, children hanging below.

    Parameters
    ----------
    members : list of dict
        ``{"relation", "sex", "age", "away", "generation", "label"}`` (``data["families"][i]["household"]``).
        Males are squares, females circles, anyone else a rounded diamond.
        Generation −1 (grandparents) sits above 0 (parents), above 1 (children),
        above 2 (grandchildren).  Members who live elsewhere are dashed and marked
        "lives elsewhere".  Children are drawn eldest first, left to right.

    Notes
    -----
    Partners in one generation are joined by a horizontal line (with "//" for an
    ex-partner); the children of the next generation hang from its middle.  A lone
    adult's children hang from the adult.  When the generation above is a group of
    siblings (e.g. a teenage mother's baby, parent not recorded) the line is dotted.
    Symbols are the only ``<rect>`` and ``<circle>`` elements in the figure.
    """
    uid = _uid("genogram", members, title, desc, width, empty_note)
    ms = []
    for i, m in enumerate(members or ()):
        sex = str(m.get("sex") or "X").upper()
        ms.append({
            "i": i,
            "relation": _clean(m.get("relation") or "member").strip().lower(),
            "sex": sex if sex in ("F", "M") else "X",
            "age": _clean(m.get("age") or ""),
            "away": bool(m.get("away")),
            "gen": int(m.get("generation") or 0) if isinstance(m.get("generation"), (int, float)) else 0,
            "label": _clean(m.get("label") or ""),
        })
    if not ms:
        return _note_figure("genogram", uid, width, title, desc, empty_note or "Household not recorded")
    sym = 30.0
    size = 11.0
    lh = 13.0
    for m in ms:
        rel = m["relation"]
        lines = [(rel[:1].upper() + rel[1:]) if rel else (m["label"] or "Member")]
        age = _age_text(m["age"])
        if age:
            lines.append(age)
        m["lines"] = [_fit(s, 120, size) for s in lines]
        m["note"] = ["lives elsewhere"] if m["away"] else []
    gens = sorted({m["gen"] for m in ms})
    rows: dict[int, list[dict]] = {}
    anchors: dict[int, tuple[str, Any]] = {}
    for g in gens:
        row = [m for m in ms if m["gen"] == g]
        partners = [m for m in row if m["relation"] in _PARTNER]
        others = sorted([m for m in row if m["relation"] not in _PARTNER], key=lambda m: (_age_key(m["age"]), m["i"]))
        ordered: list[dict] = []
        if len(partners) >= 2:
            index = partners[0]
            exes = [m for m in partners[1:] if m["relation"] in _EX]
            current = [m for m in partners[1:] if m["relation"] not in _EX]
            if not exes and len(current) == 1 and index["sex"] == "F" and current[0]["sex"] == "M":
                ordered = [current[0], index]  # man on the left, by genogram convention
            else:
                ordered = exes + [index] + current
            mate = current[0] if current else exes[0]
            anchors[g] = ("couple", (index, mate))
        elif len(partners) == 1:
            ordered = partners
            anchors[g] = ("single", partners[0])
        else:
            anchors[g] = ("single", others[0]) if len(others) == 1 else ("group", None)
        ordered += others
        rows[g] = ordered
    # which members have their label on the right (lone adults with a line hanging below)
    for gi, g in enumerate(gens):
        kind, who = anchors[g]
        has_below = gi + 1 < len(gens)
        for m in rows[g]:
            m["side"] = has_below and kind == "single" and who is m
    # footprint widths and x positions
    margin = 16.0
    row_widths = {}
    for g in gens:
        x = 0.0
        for m in rows[g]:
            lw = max(text_width(s, size) for s in m["lines"] + m["note"])
            if m["side"]:
                m["foot"] = sym + 8 + lw + 14
                m["off"] = sym / 2 + 7  # symbol centre from the footprint's left edge
            else:
                m["foot"] = max(sym + 18, lw + 16)
                m["off"] = m["foot"] / 2
            m["x"] = x + m["off"]
            x += m["foot"]
        row_widths[g] = x
    content_w = max(row_widths.values())
    view_w = max(float(width), content_w + 2 * margin)
    row_h = sym + 8 + 3 * lh + 34
    top = 14.0
    for gi, g in enumerate(gens):
        for m in rows[g]:
            m["cy"] = top + gi * row_h + sym / 2

    def label_bottom(m: dict) -> float:
        if m["side"]:
            return m["cy"] + sym / 2
        return m["cy"] + sym / 2 + 6 + 0.8 * size + (len(m["lines"]) + len(m["note"]) - 1) * lh + 0.24 * size

    def anchor(gi: int) -> tuple[float, float, str]:
        """Where the line of descent leaves row ``gi``: (x, y, dash)."""
        kind, who = anchors[gens[gi]]
        if kind == "couple":
            a, b = sorted(who, key=lambda q: q["x"])
            return ((a["x"] + sym / 2) + (b["x"] - sym / 2)) / 2, a["cy"], ""
        if kind == "single":
            return who["x"], who["cy"] + sym / 2, ""
        row = rows[gens[gi]]
        return (row[0]["x"] + row[-1]["x"]) / 2, max(label_bottom(m) for m in row) + 6, "2 3"

    def targets(gi: int) -> list[dict]:
        """Who in row ``gi`` hangs from the row above: the index partner, or the children."""
        kind, who = anchors[gens[gi]]
        if kind == "couple":
            return [who[0]]
        if kind == "single" and who["relation"] in _PARTNER:
            return [who]
        return [m for m in rows[gens[gi]] if m["relation"] not in _PARTNER] or rows[gens[gi]]

    # centre the first row; hang each later row under the anchor above it (kept inside the figure)
    for gi, g in enumerate(gens):
        if gi == 0:
            shift = (view_w - row_widths[g]) / 2
        else:
            ax = anchor(gi - 1)[0]
            xs = [t["x"] for t in targets(gi)]
            shift = ax - (min(xs) + max(xs)) / 2
            shift = min(max(shift, margin), view_w - margin - row_widths[g])
        for m in rows[g]:
            m["x"] += shift
    parts: list[str] = []
    dotted_used = False
    # partnership lines
    for g in gens:
        kind, who = anchors[g]
        if kind != "couple":
            continue
        index = who[0]
        for m in rows[g]:
            if m is index or m["relation"] not in _PARTNER:
                continue
            a, b = sorted((index, m), key=lambda q: q["x"])
            x0, x1, y = a["x"] + sym / 2, b["x"] - sym / 2, a["cy"]
            parts.append(_el("path", d=f"M{_n(x0)},{_n(y)}H{_n(x1)}", stroke=INK, stroke_width=1.6,
                             class_="partnership"))
            if m["relation"] in _EX:
                mx = (x0 + x1) / 2
                parts.append(f'<path d="M{_n(mx - 5)},{_n(y + 6)}L{_n(mx - 1)},{_n(y - 6)}M{_n(mx + 1)},{_n(y + 6)}'
                             f'L{_n(mx + 5)},{_n(y - 6)}" stroke="{INK}" stroke-width="1.4" class="separated"/>')
    # lines of descent, from each row's anchor to the next row
    for gi in range(len(gens) - 1):
        ax, ay, dash = anchor(gi)
        d = ""
        if dash:  # parent not recorded: a dotted bracket under the whole row of possible parents
            dotted_used = True
            row = rows[gens[gi]]
            d += f"M{_n(row[0]['x'])},{_n(ay - 5)}V{_n(ay)}H{_n(row[-1]['x'])}V{_n(ay - 5)}"
        tg = targets(gi + 1)
        bar_y = rows[gens[gi + 1]][0]["cy"] - sym / 2 - 16
        xs = [t["x"] for t in tg]
        lo, hi = min(xs + [ax]), max(xs + [ax])
        d += f"M{_n(ax)},{_n(ay)}V{_n(bar_y)}"
        if hi - lo > 0.5:
            d += f"M{_n(lo)},{_n(bar_y)}H{_n(hi)}"
        for t in tg:
            d += f"M{_n(t['x'])},{_n(bar_y)}V{_n(t['cy'] - sym / 2)}"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path d="{d}" fill="none" stroke="{INK}" stroke-width="1.4"{dash_attr} class="descent"/>')
    # symbols and labels
    for g in gens:
        for m in rows[g]:
            x, cy = m["x"], m["cy"]
            dash = ' stroke-dasharray="4 3"' if m["away"] else ""
            stroke = INK_2 if m["away"] else INK
            fill = PAPER if m["away"] else "#e8f0f6"
            paint = f'fill="{fill}" stroke="{stroke}" stroke-width="1.8"{dash}'
            cls = ' class="member away"' if m["away"] else ' class="member"'
            name = " ".join(m["lines"]) + (", lives elsewhere" if m["away"] else "")
            if m["sex"] == "M":
                shape = (f'<rect x="{_n(x - sym / 2)}" y="{_n(cy - sym / 2)}" width="{_n(sym)}" height="{_n(sym)}"'
                         f'{cls} {paint}/>')
            elif m["sex"] == "F":
                shape = f'<circle cx="{_n(x)}" cy="{_n(cy)}" r="{_n(sym / 2)}"{cls} {paint}/>'
            else:
                d = sym * 0.62
                shape = (f'<path d="M{_n(x)},{_n(cy - d)}L{_n(x + d)},{_n(cy)}L{_n(x)},{_n(cy + d)}'
                         f'L{_n(x - d)},{_n(cy)}Z"'
                         f' stroke-linejoin="round"{cls} {paint}/>')
            parts.append(f"<g><title>{_esc(name)}</title>{shape}</g>")
            if m["side"]:
                lines = m["lines"] + m["note"]
                ty = cy - (len(lines) - 1) * lh / 2 + 0.36 * size
                tx = x + sym / 2 + 8
                parts.append(_text(tx, ty, m["lines"], size=size, lh=lh, cls="member-label"))
                if m["note"]:
                    parts.append(_text(tx, ty + len(m["lines"]) * lh, m["note"], size=10, fill=INK_2, italic=True))
            else:
                ty = cy + sym / 2 + 6 + 0.8 * size
                parts.append(_text(x, ty, m["lines"], size=size, anchor="middle", lh=lh, cls="member-label"))
                if m["note"]:
                    parts.append(_text(x, ty + len(m["lines"]) * lh, m["note"], size=10, anchor="middle",
                                       fill=INK_2, italic=True))
    # key (drawn with paths only)
    ky = max(label_bottom(m) for m in ms) + 20
    items: list[LegendItem] = []
    sexes = {m["sex"] for m in ms}
    key = {"fill": "#e8f0f6", "stroke": INK, "stroke_width": 1.4}
    if "M" in sexes:
        items.append((14, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy - 7)}h14v14h-14Z", **key), "Male"))
    if "F" in sexes:
        items.append((14, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy)}a7,7 0 1,0 14,0a7,7 0 1,0 -14,0Z", **key),
                      "Female"))
    if "X" in sexes:
        items.append((16, lambda x, cy: _el("path", d=f"M{_n(x + 8)},{_n(cy - 8)}l8,8l-8,8l-8,-8Z", **key),
                      "Other or not recorded"))
    if any(m["away"] for m in ms):
        items.append((14, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy - 7)}h14v14h-14Z", fill=PAPER, stroke=INK_2,
                                            stroke_width=1.4, stroke_dasharray="3 2"), "Lives elsewhere"))
    if any(m["relation"] in _EX for m in ms):
        items.append((24, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy)}h24M{_n(x + 7)},{_n(cy + 6)}l4,-12"
                                            f"M{_n(x + 13)},{_n(cy + 6)}l4,-12", stroke=INK, stroke_width=1.4),
                      "Separated"))
    if dotted_used:
        items.append((24, lambda x, cy: _el("path", d=f"M{_n(x)},{_n(cy)}h24", stroke=INK, stroke_width=1.4,
                                            stroke_dasharray="2 3"), "Parent not recorded"))
    parts.append(f'<path d="M{_n(margin)},{_n(ky)}H{_n(view_w - margin)}" stroke="{FAINT}"/>')
    leg, leg_h = _legend(items, margin, ky + 4, view_w - 2 * margin, gap=18)
    parts.extend(leg)
    return _svg("genogram", uid, view_w, ky + 4 + leg_h + 8, title, desc, parts, width_px=width)


# --------------------------------------------------------------------------
# eco-map
# --------------------------------------------------------------------------


def _spread(items: list[dict], lo: float, hi: float, gap: float) -> None:
    """Shift boxes (``y0``, ``h``) vertically so that they do not overlap and stay in [lo, hi]."""
    items.sort(key=lambda it: it["y0"])
    for k, it in enumerate(items):
        if k:
            prev = items[k - 1]
            it["y0"] = max(it["y0"], prev["y0"] + prev["h"] + gap)
    over = items[-1]["y0"] + items[-1]["h"] - hi if items else 0
    if over > 0:
        for k in range(len(items) - 1, -1, -1):
            it = items[k]
            limit = hi if k == len(items) - 1 else items[k + 1]["y0"] - gap
            it["y0"] = min(it["y0"], limit - it["h"])
    if items and items[0]["y0"] < lo:
        d = lo - items[0]["y0"]
        for it in items:
            it["y0"] += d


def ecomap_svg(center_label: str, services: Sequence[Mapping[str, Any]], *, title: str, desc: str,
               width: float = 560, value_label: str = "passages", empty_note: str | None = None) -> str:
    """Eco-map: the family in the centre, one circle per service or agency around it.

    Parameters
    ----------
    center_label : str
        Text in the centre ("Family TF01").
    services : list of dict
        ``{"name", "n_units"}`` (``data["families"][i]["services"]``).  The line to each
        service is thicker the more it was talked about, and the number is printed in
        its circle.  Services are placed clockwise from the top, in the order given.
    value_label : str
        What ``n_units`` counts, for the subtitle.
    """
    uid = _uid("ecomap", center_label, services, title, desc, width, value_label, empty_note)
    svcs = [s for s in (services or ()) if s]
    if not svcs:
        return _note_figure("ecomap", uid, width, title, desc,
                            empty_note or "No services or agencies were mentioned")
    n = len(svcs)
    size, lh = 11.0, 13.0
    counts = [max(_num(s.get("n_units")) or 0.0, 0.0) for s in svcs]
    cmax = max(counts) or 1.0
    rs = 15.0
    label_w = 128.0
    rx = max(118.0, min(150.0, width / 2 - 16 - label_w - rs - 8))
    ry = 150.0
    need = n * (2 * rs + 20)  # ring long enough for every circle with a gap

    def perimeter(a: float, b: float) -> float:  # Ramanujan's approximation
        return math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))

    while perimeter(rx, ry) < need:
        ry += 10
    if n <= 6:
        rx = ry = 96.0 + 6 * n
    head_h = 52.0
    cx = width / 2
    cy = head_h + 40 + ry
    # equal arc lengths along the ellipse, clockwise from the top
    steps = 720
    ring = [(-math.pi / 2 + 2 * math.pi * k / steps) for k in range(steps + 1)]
    arc = [0.0]
    for k in range(1, steps + 1):
        a0, a1 = ring[k - 1], ring[k]
        arc.append(arc[-1] + math.hypot(rx * (math.cos(a1) - math.cos(a0)), ry * (math.sin(a1) - math.sin(a0))))
    angles = []
    k = 0
    for i in range(n):
        target = arc[-1] * i / n
        while arc[k + 1] < target:
            k += 1
        angles.append(ring[k])
    nodes = []
    for i, s in enumerate(svcs):
        ang = angles[i]
        x, y = cx + rx * math.cos(ang), cy + ry * math.sin(ang)
        lines = _wrap(s.get("name") or s.get("code") or "", label_w, size, max_lines=3)
        w = max(text_width(t, size) for t in lines)
        h = (len(lines) - 1) * lh + 1.04 * size
        c, sn = math.cos(ang), math.sin(ang)
        if abs(c) > 0.3:  # beside the circle, leaning away from the ring's top and bottom
            anchor = "start" if c > 0 else "end"
            lx = x + (rs + 7) * (1 if c > 0 else -1)
            y0 = y - h / 2 + (h / 2 + 2) * sn
        else:
            anchor, lx = "middle", x
            y0 = y - rs - 6 - h if sn < 0 else y + rs + 6
        nodes.append({"x": x, "y": y, "lines": lines, "w": w, "h": h, "anchor": anchor, "lx": lx, "y0": y0,
                      "y_orig": y0, "name": _clean(s.get("name") or s.get("code") or ""), "n": counts[i]})
    lo, hi = head_h + 6, cy + ry + rs + 40
    for side in ("start", "end"):
        group = [nd for nd in nodes if nd["anchor"] == side]
        if not group:
            continue
        g0 = min(nd["lx"] - (0 if side == "start" else nd["w"]) for nd in group)
        g1 = max(nd["lx"] + (nd["w"] if side == "start" else 0) for nd in group)
        s_lo, s_hi = lo, hi
        for m in nodes:  # labels above the top circle and below the bottom one bound the side columns
            if m["anchor"] == "middle" and m["lx"] + m["w"] / 2 > g0 and m["lx"] - m["w"] / 2 < g1:
                if m["y"] < cy:
                    s_lo = max(s_lo, m["y0"] + m["h"] + 6)
                else:
                    s_hi = min(s_hi, m["y0"] - 6)
        _spread(group, s_lo, s_hi, 6)
    bottom = max(nd["y0"] + nd["h"] for nd in nodes)
    view_h = max(cy + ry + rs + 14, bottom + 14) + 4
    parts: list[str] = []
    noun = "agency" if n == 1 else "agencies"
    parts.append(_text(16, 26, f"Involved with {n} {noun}", size=16, bold=True, cls="headline"))
    parts.append(_text(16, 44, "The number in each circle, and the thickness of its line, is the number of "
                       f"{_clean(value_label)} about it",
                       size=10.5, fill=INK_2, cls="subtitle"))
    rc = 44.0
    for nd in nodes:
        w = 1.2 + 5.8 * nd["n"] / cmax
        dx, dy = nd["x"] - cx, nd["y"] - cy
        d = math.hypot(dx, dy) or 1.0
        x0, y0 = cx + dx / d * rc, cy + dy / d * rc
        x1, y1 = nd["x"] - dx / d * rs, nd["y"] - dy / d * rs
        parts.append(_el("path", d=f"M{_n(x0)},{_n(y0)}L{_n(x1)},{_n(y1)}", stroke=LINK, stroke_width=w,
                         stroke_linecap="round"))
    parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(rc)}" fill="{PANEL}" stroke="{INK}" stroke-width="2"/>')
    clines = _wrap(center_label, rc * 1.7, 12, max_lines=3, bold=True)
    parts.append(_text(cx, cy - (len(clines) - 1) * 7.5 + 4.3, clines, size=12, anchor="middle", bold=True, lh=15,
                       cls="center-label", full=_clean(center_label)))
    svc_color = PALETTE["service"]
    for nd in nodes:
        parts.append(f'<g><title>{_esc(nd["name"])}: {_n(nd["n"])} {_esc(value_label)}</title>'
                     + _el("circle", cx=nd["x"], cy=nd["y"], r=rs, fill=svc_color, stroke=PAPER, stroke_width=1.5)
                     + "</g>")
        parts.append(_text(nd["x"], nd["y"] + 3.8, _n(nd["n"]), size=10.5, anchor="middle", fill=PAPER, bold=True))
        ty = nd["y0"] + 0.8 * size
        if abs(nd["y0"] - nd["y_orig"]) > 3:  # moved to make room: a leader line shows whose label it is
            ex = nd["lx"] - (4 if nd["anchor"] == "start" else -4)
            parts.append(f'<path d="M{_n(nd["x"] + (rs if nd["anchor"] == "start" else -rs))},{_n(nd["y"])}'
                         f'L{_n(ex)},{_n(nd["y0"] + nd["h"] / 2)}" stroke="{RULE}" fill="none"/>')
        parts.append(_text(nd["lx"], ty, nd["lines"], size=size, anchor=nd["anchor"], lh=lh, cls="service-label",
                           full=nd["name"]))
    return _svg("ecomap", uid, width, view_h, title, desc, parts)


# --------------------------------------------------------------------------
# timeline (life grid)
# --------------------------------------------------------------------------


def timeline_svg(timeline: Mapping[str, Any] | None, *, title: str, desc: str, width: float = 760,
                 empty_note: str | None = None) -> str:
    """Life grid: one lane per domain, years left to right, undated events in a column on the right.

    Parameters
    ----------
    timeline : dict
        ``{"domains", "start_year", "end_year", "interview_year", "events"}``; each event
        ``{"domain", "label", "year", "approximate", "order"}``.  Dated events are dots
        (hollow and "≈" when the year is approximate); events with ``year`` None are
        listed under "Undated (in narrative order)" by ``order``.  A dashed vertical
        line marks the interview.  Labels never overlap: an event whose label would
        collide goes on a new row of its lane, and the lane grows.
    """
    tl = dict(timeline or {})
    uid = _uid("timeline", tl, title, desc, width, empty_note)
    events = [dict(e) for e in (tl.get("events") or []) if e]
    if not events:
        return _note_figure("timeline", uid, width, title, desc,
                            empty_note or "No events were recorded for this family")
    domains = [_clean(d) for d in (tl.get("domains") or [])]
    for e in events:
        e["domain"] = _clean(e.get("domain") or "Other")
        if e["domain"] not in domains:
            domains.append(e["domain"])
        e["label"] = _clean(e.get("label") or e.get("code") or "event")
        yv = _num(e.get("year"))
        e["year"] = yv
    years = [e["year"] for e in events if e["year"] is not None]
    start = _num(tl.get("start_year"))
    end = _num(tl.get("end_year"))
    iv = _num(tl.get("interview_year"))
    start = math.floor(min([start] + years if start is not None else years or [iv or 2000]))
    end = math.ceil(max([end] + years if end is not None else years or [iv or start]))
    if iv is not None:
        end = max(end, math.ceil(iv))
        start = min(start, math.floor(iv))
    if end <= start:
        end = start + 1
    dated = [e for e in events if e["year"] is not None]
    undated = sorted([e for e in events if e["year"] is None],
                     key=lambda e: (_num(e.get("order")) if _num(e.get("order")) is not None else 1e9, e["label"]))
    size = 10.5
    lane_w = 132.0
    und_w = 190.0 if undated else 0.0
    left = 12 + lane_w + 8
    right = width - 12 - (und_w + 14 if undated else 0)
    plot_w = right - left

    def xof(yr: float) -> float:
        return left + (yr - (start - 0.5)) / (end - start + 1) * plot_w

    r = 4.5
    track_h = 20.0
    max_label = min(180.0, plot_w * 0.5)
    lanes: dict[str, dict[str, Any]] = {d: {"tracks": [], "items": [], "undated": []} for d in domains}
    for e in sorted(dated, key=lambda e: (e["year"], _num(e.get("order")) or 0, e["label"])):
        txt = ("≈ " if e.get("approximate") else "") + e["label"]
        txt = _fit(txt, max_label, size)
        x = xof(e["year"])
        w = text_width(txt, size)
        if x + r + 4 + w <= right:
            side, lx, box = "start", x + r + 4, (x - r, x + r + 4 + w)
        else:
            side, lx, box = "end", x - r - 4, (x - r - 4 - w, x + r)
        lane = lanes[e["domain"]]
        for k, last in enumerate(lane["tracks"]):
            if box[0] >= last + 6:
                lane["tracks"][k] = box[1]
                break
        else:
            k = len(lane["tracks"])
            lane["tracks"].append(box[1])
        lane["items"].append({"e": e, "x": x, "track": k, "side": side, "lx": lx, "txt": txt})
    und_size = 10.5
    und_lines: dict[int, list[str]] = {}
    for i, e in enumerate(undated, 1):
        und_lines[i] = _wrap(f"{e['label']}", und_w - 24, und_size, max_lines=2)
        lanes[e["domain"]]["undated"].append((i, e))
    axis_top = 20.0
    y = axis_top + 22
    lane_pos = {}
    for d in domains:
        lane = lanes[d]
        n_tracks = max(1, len(lane["tracks"]))
        und_h = sum(len(und_lines[i]) * 13 + 6 for i, _ in lane["undated"])
        lane_lab = _wrap(d, lane_w - 8, 11, max_lines=3, bold=True)
        h = max(n_tracks * track_h + 12, und_h + 12, len(lane_lab) * 13 + 14, 34)
        lane_pos[d] = (y, h, lane_lab)
        y += h
    lanes_bottom = y
    parts: list[str] = []
    # lanes
    lane_fill = {d: ("#f7f7f7" if li % 2 == 0 else PAPER) for li, d in enumerate(domains)}
    for li, d in enumerate(domains):
        y0, h, lab = lane_pos[d]
        if li % 2 == 0:
            parts.append(f'<rect x="12" y="{_n(y0)}" width="{_n(width - 24)}" height="{_n(h)}" fill="#f7f7f7"/>')
        parts.append(_text(18, y0 + h / 2 - (len(lab) - 1) * 6.5 + 4, lab, size=11, bold=True, lh=13, cls="lane-label"))
    parts.append(f'<path d="M12,{_n(lanes_bottom)}H{_n(width - 12)}" stroke="{RULE}"/>')
    # year axis: ticks every 1, 2, 5 or 10 years so that labels fit
    per_year = plot_w / (end - start + 1)
    step = next((s for s in (1, 2, 5, 10, 20, 50) if s * per_year >= text_width("2024", 10) + 10), 100)
    for yr in range(start, end + 1):
        if yr % step:
            continue
        x = xof(yr)
        parts.append(f'<path d="M{_n(x)},{_n(axis_top + 18)}V{_n(lanes_bottom)}" stroke="{FAINT}"/>')
        parts.append(_text(x, axis_top + 12, str(yr), size=10, anchor="middle", fill=INK_2, cls="year"))
    # interview
    if iv is not None:
        x = xof(iv)
        parts.append(_el("path", d=f"M{_n(x)},{_n(axis_top + 18)}V{_n(lanes_bottom + 6)}", stroke=INK,
                         stroke_width=1.4, stroke_dasharray="5 3"))
        parts.append(_text(x, lanes_bottom + 20, "Interview", size=10.5,
                           anchor="end" if x > left + plot_w / 2 else "start", bold=True, cls="interview"))
    # events
    dot = SEQ_HIGH
    for d in domains:
        y0, h, _ = lane_pos[d]
        for it in lanes[d]["items"]:
            e = it["e"]
            ty = y0 + 6 + track_h * it["track"] + track_h / 2
            when = ("about " if e.get("approximate") else "") + _n(e["year"])
            said = ": " + _esc(e["quote"]) if e.get("quote") else ""
            tip = _el("title", f"{_esc(e['label'])} ({when}){said}")
            if e.get("approximate"):
                mark = _el("circle", cx=it["x"], cy=ty, r=r, fill=PAPER, stroke=dot, stroke_width=1.8)
            else:
                mark = _el("circle", cx=it["x"], cy=ty, r=r, fill=dot, stroke=PAPER, stroke_width=1)
            parts.append(f"<g>{tip}{mark}</g>")
            bx = _text_box(it["lx"], ty + 0.36 * size, [it["txt"]], size, it["side"])
            parts.append(f'<rect x="{_n(bx[0] - 1)}" y="{_n(bx[1] - 1)}" width="{_n(bx[2] - bx[0] + 2)}" '
                         f'height="{_n(bx[3] - bx[1] + 2)}" fill="{lane_fill[d]}"/>')
            parts.append(_text(it["lx"], ty + 0.36 * size, it["txt"], size=size, anchor=it["side"], cls="event-label",
                               full=e["label"]))
    # undated column
    if undated:
        ux = width - 12 - und_w
        parts.append(f'<path d="M{_n(ux - 7)},{_n(axis_top)}V{_n(lanes_bottom)}" stroke="{RULE}"/>')
        parts.append(_text(ux, axis_top + 12, "Undated (in narrative order)", size=10, bold=True, fill=INK_2,
                           cls="undated-head"))
        for d in domains:
            y0, h, _ = lane_pos[d]
            yy = y0 + 8
            for i, e in lanes[d]["undated"]:
                lines = und_lines[i]
                parts.append(_text(ux, yy + 0.8 * und_size, f"{i}.", size=und_size, bold=True, fill=INK_2))
                parts.append(_text(ux + 22, yy + 0.8 * und_size, lines, size=und_size, lh=13, cls="event-label",
                                   full=e["label"]))
                yy += len(lines) * 13 + 6
    # key
    ky = lanes_bottom + 34
    items: list[LegendItem] = [
        (10, lambda x, cy: f'<circle cx="{_n(x + 5)}" cy="{_n(cy)}" r="4.5" fill="{dot}"/>', "Event with a year"),
    ]
    if any(e.get("approximate") for e in dated):
        items.append((10, lambda x, cy: _el("circle", cx=x + 5, cy=cy, r=4.5, fill=PAPER, stroke=dot, stroke_width=1.8),
                      "≈ year is approximate"))
    if iv is not None:
        items.append((14, lambda x, cy: _el("path", d=f"M{_n(x + 7)},{_n(cy - 8)}V{_n(cy + 8)}", stroke=INK,
                                            stroke_width=1.4, stroke_dasharray="5 3"),
                      f"Interview ({_n(iv)})"))
    leg, leg_h = _legend(items, 12, ky, width - 24)
    parts.extend(leg)
    return _svg("timeline", uid, width, ky + leg_h + 8, title, desc, parts)
