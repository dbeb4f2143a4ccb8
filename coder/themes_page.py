"""The outputs of ``coder themes``: the page, the JSON, the report slice and the proposed codes.

* :func:`write_themes` writes ``themes.json``, ``proposed_codes.yaml`` and
  ``themes.html`` into one folder, atomically.
* :func:`render_themes_html` turns a :class:`~coder.themes.ThemesResult`
  into one self-contained HTML file (inline CSS and SVG, no script, no
  network) through the autoescaped Jinja2 template ``templates/themes.html.j2``;
  :func:`bar_chart_svg` draws the theme sizes with our own code (escaped
  labels, a title and description for screen readers).
* :func:`proposed_codes_yaml` renders ``templates/proposed_codes.yaml.j2``: a
  codebook patch with one proposed code per new theme.
* :func:`themes_section` is the plain-data ``themes`` slice of the report data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from markupsafe import Markup, escape

if TYPE_CHECKING:  # pragma: no cover
    from .themes import ThemesResult

__all__ = ["write_themes", "render_themes_html", "bar_chart_svg", "proposed_codes_yaml", "themes_section",
           "MAPPED_COLOR", "NEW_COLOR"]

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
    env = _template_env()
    return env.get_template("themes.html.j2").render(
        r=result, themes=result.themes, chart=Markup(bar_chart_svg(result.themes)),
        new_themes=result.new_themes, settings=result.settings, codebook=result.codebook,
        mapped_color=MAPPED_COLOR, new_color=NEW_COLOR)


def themes_section(result: "ThemesResult") -> dict[str, Any]:
    """The plain-data ``themes`` slice of the cross-case report data (report contract v1)."""
    return {
        "n_themes": len(result.themes),
        "n_units": result.n_units,
        "outliers": result.outliers,
        "uncoded": result.uncoded,
        "settings": dict(result.settings),
        "themes": [{
            "id": t.id, "size": t.size, "keywords": list(t.keywords), "cases": list(t.cases),
            "examples": [{"quote": e["quote"], "case": e["case"], "speaker": e["speaker"]} for e in t.examples],
            "nearest_code": t.nearest_code, "nearest_name": t.nearest_name, "similarity": t.similarity, "new": t.new,
        } for t in result.themes],
    }


def _slug(words: Sequence[str], taken: set[str], prefix: str = "theme_") -> str:
    """A unique code id ``[a-z0-9_]+`` from keywords.

    Examples
    --------
    >>> _slug(["allotment", "racing pigeons", "allotment shed"], set())
    'theme_allotment_racing_pigeons'
    >>> _slug(["allotment"], {"theme_allotment"})
    'theme_allotment_2'
    """
    parts: list[str] = []
    for w in words:
        for tok in re.findall(r"[a-z0-9]+", w.lower()):
            if tok not in parts:
                parts.append(tok)
    base = prefix + ("_".join(parts[:3]) if parts else "new")
    base = base[:40].rstrip("_")
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}_{k}", k + 1
    taken.add(slug)
    return slug


def _template_env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html", "html.j2", "svg"], default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["q"] = lambda s: json.dumps(str(s), ensure_ascii=False)  # a YAML double-quoted scalar
    return env


def proposed_codes_yaml(result: "ThemesResult") -> str:
    """A codebook patch (SPEC §2 shape) with one proposed code per ``new`` theme.

    Ids are ``theme_`` plus a slug of the theme's keywords, unique against the
    codebook; ``definition`` is left empty for the researcher, ``examples``
    are the theme's (redacted) quotes and ``keywords`` its top keywords.
    Merge it with ``coder codebook PROJECT --merge proposed_codes.yaml``.
    """
    from .themes import NEW_THRESHOLD, distinct_keywords

    taken = set(result.codebook.get("ids", ()))
    codes = []
    for t in result.new_themes:
        words = list(t.keywords) or [f"theme {t.id}"]
        name = ", ".join(distinct_keywords(words, 3))
        codes.append({
            "id": _slug(distinct_keywords(words, 3), taken), "name": name[:1].upper() + name[1:], "theme": t.id,
            "size": t.size,
            "n_cases": len(t.cases), "nearest": t.nearest_code or "none",
            "similarity": t.similarity if t.similarity is not None else 0.0,
            "keywords": words[:5], "examples": [e["quote"] for e in t.examples[:3]],
        })
    env = _template_env()
    return env.get_template("proposed_codes.yaml.j2").render(
        codebook=result.codebook, codes=codes, threshold=result.settings.get("new_threshold", NEW_THRESHOLD),
        uncoded=result.uncoded, n_themes=len(result.themes))


def write_themes(result: "ThemesResult", out_dir: str | Path) -> dict[str, Path]:
    """Write ``themes.json``, ``proposed_codes.yaml`` and ``themes.html`` into ``out_dir``, atomically.

    The folder is replaced whole, and only when all three files are written.
    """
    from .fsutil import atomic_dir

    out_dir = Path(out_dir)
    data = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    patch = proposed_codes_yaml(result)
    page = render_themes_html(result)
    names = {"json": "themes.json", "yaml": "proposed_codes.yaml", "html": "themes.html"}
    with atomic_dir(out_dir) as tmp:
        (tmp / names["json"]).write_text(data, encoding="utf-8")
        (tmp / names["yaml"]).write_text(patch, encoding="utf-8")
        (tmp / names["html"]).write_text(page, encoding="utf-8")
    return {k: out_dir / v for k, v in names.items()}
