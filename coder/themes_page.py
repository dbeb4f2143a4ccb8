"""The themes page: one self-contained HTML file (inline CSS and SVG, no script, no network).

:func:`render_themes_html` turns a :class:`~coder.themes.ThemesResult` into
HTML through the autoescaped Jinja2 template ``templates/themes.html.j2``;
:func:`bar_chart_svg` draws the theme sizes as an SVG bar chart with our own
code (escaped labels, a title and description for screen readers).
"""

from __future__ import annotations

from typing import Sequence

from markupsafe import Markup, escape

__all__ = ["render_themes_html", "bar_chart_svg", "MAPPED_COLOR", "NEW_COLOR"]

MAPPED_COLOR = "#1f5f8b"  # blue: near an existing code (contrast 7.0:1 on white)
NEW_COLOR = "#a04000"     # burnt orange: far from every code (contrast 6.3:1 on white)
FONT = 'system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif'


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def bar_chart_svg(themes: Sequence, *, width: int = 760, bar_height: int = 16, label_width: int = 330) -> str:
    """Horizontal bars of theme sizes (units), coloured by mapped / new.

    ``themes`` are :class:`~coder.themes.Theme` objects (or anything with
    ``id``, ``size``, ``label`` and ``new``).

    Examples
    --------
    >>> from types import SimpleNamespace as T
    >>> svg = bar_chart_svg([T(id=0, size=40, label="rent, <arrears>", new=False),
    ...                      T(id=1, size=10, label="pigeons", new=True)])
    >>> svg.startswith("<svg") and "&lt;arrears&gt;" in svg and svg.count("<rect") == 4
    True
    """
    gap = 6
    top = 34
    n = len(themes)
    height = top + n * (bar_height + gap) + 10
    biggest = max((t.size for t in themes), default=1) or 1
    plot = width - label_width - 60
    rows = []
    for i, t in enumerate(themes):
        y = top + i * (bar_height + gap)
        w = max(1.0, plot * t.size / biggest)
        color = NEW_COLOR if t.new else MAPPED_COLOR
        label = escape(_shorten(f"Theme {t.id}: {t.label}", 44))
        status = "new" if t.new else "mapped"
        rows.append(
            f'<g><title>{escape(f"Theme {t.id}: {t.label}")}: {t.size} units, {status}</title>'
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" class="lbl">{label}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{color}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}" class="val">{t.size}</text></g>')
    legend = (f'<rect x="0" y="6" width="14" height="14" fill="{MAPPED_COLOR}"/>'
              '<text x="20" y="18" class="val">mapped: near an existing code</text>'
              f'<rect x="250" y="6" width="14" height="14" fill="{NEW_COLOR}"/>'
              '<text x="270" y="18" class="val">new: far from every code</text>')
    desc = "; ".join(f"theme {t.id} ({t.label}): {t.size} units{', new' if t.new else ''}" for t in themes)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-labelledby="chart-title chart-desc" class="chart">'
            f'<title id="chart-title">Size of each theme, in coding units</title>'
            f'<desc id="chart-desc">{escape(desc) or "No themes."}</desc>'
            f'<style>.lbl,.val{{font:13px {FONT};fill:#1b1b1b}}</style>'
            f'{legend}{"".join(rows)}</svg>')


def render_themes_html(result) -> str:
    """The themes page for ``result`` (a :class:`~coder.themes.ThemesResult`) as one HTML string."""
    from .themes import _template_env

    env = _template_env()
    return env.get_template("themes.html.j2").render(
        r=result, themes=result.themes, chart=Markup(bar_chart_svg(result.themes)),
        new_themes=result.new_themes, settings=result.settings, codebook=result.codebook,
        mapped_color=MAPPED_COLOR, new_color=NEW_COLOR)
