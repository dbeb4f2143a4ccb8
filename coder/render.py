"""Render a precomputed report ``data`` dict into self-contained HTML and tagged PDF.

Compute once, render many: :mod:`coder.reportdata` builds one plain ``data``
dict (the contract is in ``docs/reports.md``); this module only turns it into pages.
Nothing here reads the project or recomputes a number.

* Templates are Jinja2 files in ``coder/templates/`` (the one source of truth,
  shipped as package data).  ``templates_dir=DIR`` puts a folder of your own in
  front of them: a file there with the same name wins, anything it lacks comes
  from the package, and ``{% extends "coder/journey.html.j2" %}`` reaches the
  original so an override can change one block.  An optional ``custom.css`` in
  that folder is appended after ``coder.css``.
* Every template is autoescaped; quotes, code names and all other user-written
  text arrive escaped.  The CSS and the figures (SVG strings from
  :mod:`coder.figures`) are inlined, so an HTML report is one file with no
  external CSS, script, font or image, and a Content-Security-Policy forbids a
  browser from loading any.
* PDFs are written by WeasyPrint as PDF/UA-1 (tagged, with title and language)
  through a URL fetcher that refuses every network URL and every file outside
  the template and output folders.

Examples
--------
>>> env = make_env()
>>> env.filters["pct"](0.5625), env.filters["nN"](9, 16), env.filters["fmt"](float("nan"))
('56%', '9 of 16', 'n/a')
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .errors import CoderError
from .figures import contrast_ratio

__all__ = [
    "KINDS",
    "FORMATS",
    "TEMPLATES_DIR",
    "ReportError",
    "UnsafeURLError",
    "make_env",
    "render_html",
    "render_pdf",
    "write_reports",
    "copy_templates",
    "safe_fetcher",
    "with_fit",
]

TEMPLATES_DIR = Path(__file__).resolve().with_name("templates")
KINDS = ("journey", "crosscase", "training")
FORMATS = ("html", "pdf")
PDF_VARIANT = "pdf/ua-1"

_SHAPES = {  # glyphs present in DejaVu Sans
    "circle": "\u25cf", "square": "\u25a0", "diamond": "\u25c6", "triangle": "\u25b2",
    "hexagon": "\u2b22", "pentagon": "\u2b1f", "star": "\u2605", "cross": "\u2716",
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class ReportError(CoderError):
    """A report cannot be rendered: unknown kind or case, missing templates, a template error."""


class UnsafeURLError(ReportError):
    """Rendering tried to load a resource from the network or from outside the allowed folders."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"refused to fetch {url!r}: {reason}; reports must be self-contained "
                         "(inline the CSS, SVG or data: image in the template instead)")

    def __reduce__(self):  # picklable, so a worker process can report it
        return (type(self), (self.url, self.reason))


# --------------------------------------------------------------------------- filters

def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def pct(x: Any) -> str:
    """A share as a whole percentage, half rounded up: 0.5625 → "56%", None/NaN → "n/a"."""
    if _is_missing(x):
        return "n/a"
    v = float(x) * 100
    if 0 < v < 0.5:
        return "<1%"
    if 99.5 <= v < 100:
        return ">99%"
    return f"{math.floor(v + 0.5):.0f}%"


def n_of_N(n: Any, N: Any = None) -> str:
    """``n`` with its denominator: (9, 16) → "9 of 16"."""
    if _is_missing(n):
        return "n/a"
    if _is_missing(N):
        return fmt(n)
    return f"{fmt(n)} of {fmt(N)}"


def fmt(x: Any, digits: int = 2) -> str:
    """Numbers for print: ints with thousands separators, floats to ``digits`` places, None/NaN → "n/a"."""
    if _is_missing(x):
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if digits == 0:  # whole numbers as such; a median of 4.5 stays 4.5
            return f"{int(x):,}" if x.is_integer() else f"{x:,.1f}"
        return f"{x:,.{digits}f}"
    return str(x)


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (:func:`coder.figures.contrast_ratio`, white by default)."""
    return contrast_ratio(a, b)


def ink(color: Any, background: str = "#ffffff", ratio: float = 4.5) -> str:
    """``color`` darkened just enough to reach WCAG AA contrast (4.5:1) on ``background``."""
    if not isinstance(color, str) or not re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", color):
        return "#0b0c0c"
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    for _ in range(40):
        out = "#" + "".join(f"{c:02x}" for c in rgb)
        if contrast(out, background) >= ratio:
            return out
        rgb = [int(c * 0.9) for c in rgb]
    return "#0b0c0c"


def shorten(text: Any, width: int = 160) -> str:
    """Cut ``text`` at a word boundary to at most ``width`` characters, marking the cut with "…"."""
    s = " ".join(str(text or "").split())
    if len(s) <= width:
        return s
    cut = s[: width - 1].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "\u2026"


def longdate(value: Any) -> str:
    """ISO date → "12 March 2024"; anything else unchanged."""
    if not value:
        return "n/a"
    try:
        d = _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def monthyear(value: Any) -> str:
    try:
        d = _dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return str(value or "n/a")
    return f"{_MONTHS[d.month - 1]} {d.year}"


def join_and(items: Iterable[Any], conj: str = "and") -> str:
    """["a", "b", "c"] → "a, b and c"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def plural(n: Any, one: str, many: str | None = None) -> str:
    """The noun for ``n``: (1, "family", "families") → "family"."""
    return one if n == 1 else (many or one + "s")


def ucfirst(text: Any) -> str:
    """Upper-case the first letter only: "family intervention project" → "Family intervention project".

    Unlike Jinja's ``capitalize`` it leaves the rest alone, so "CAMHS referral" stays as written.
    """
    s = str(text)
    return s[:1].upper() + s[1:]


def glyph(shape: Any) -> str:
    return _SHAPES.get(str(shape or ""), _SHAPES["circle"])


def _css_safe(css: str) -> str:
    # inlined in <style>: a literal "</style" would end the element early
    return re.sub(r"</(?=style)", r"<\\/", css, flags=re.I)


_SVG_BAD = re.compile(
    r"<\s*(?:script|foreignObject|iframe|object|embed)\b"      # active content
    r"|<[^>]*\son[a-z]+\s*="                                   # event handlers
    r"|<[^>]*\s(?:xlink:)?(?:href|src)\s*=\s*[\"']?(?!#|data:image/)"  # any external reference
    r"|url\(\s*[\"']?(?!#|data:image/)",
    re.I,
)


def _svg(svg: Any, name: str):
    """Check a figure's SVG string and mark it safe for the templates."""
    from markupsafe import Markup

    s = str(svg or "").strip()
    if s.startswith("<?xml"):
        s = s.split("?>", 1)[1].strip()
    if not s.startswith("<svg") or not s.endswith("</svg>"):
        raise ReportError(f"figure {name}() did not return an <svg> element; check coder/figures.py")
    m = _SVG_BAD.search(s)
    if m:
        raise ReportError(f"figure {name}() returned SVG with active content or an external reference "
                          f"({m.group(0)[:60]!r}); figures must be self-contained and escape their text")
    # The stylesheet sizes figures (max-width 100%, height from the viewBox).
    # A style="height:auto" on the root makes WeasyPrint 70 keep the height
    # attribute, leaving a gap under every scaled-down figure, so drop it.
    head, rest = s.split(">", 1)
    head = re.sub(r'\sstyle\s*=\s*"[^"]*"', "", head)
    return Markup(head + ">" + rest)


# --------------------------------------------------------------------------- environment

def make_env(templates_dir: str | os.PathLike | None = None):
    """The Jinja2 environment for reports.

    Parameters
    ----------
    templates_dir
        Optional folder searched before the packaged templates.  It may hold a
        full copy (see :func:`copy_templates`) or only the files you change;
        ``{% extends "coder/<name>" %}`` always reaches the packaged original.

    Returns
    -------
    jinja2.Environment
        Autoescaping every template, with :class:`jinja2.StrictUndefined` and
        the filters ``pct``, ``nN``, ``fmt``, ``ink``, ``shorten``, ``longdate``,
        ``monthyear``, ``join_and``, ``plural``, ``ucfirst`` and ``glyph``.
    """
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape

    loaders = []
    if templates_dir is not None:
        d = Path(templates_dir)
        if not d.is_dir():
            raise ReportError(f"{d}: templates folder not found; make one with "
                              f"`python -c \"from coder.render import copy_templates; copy_templates('{d}')\"`")
        loaders.append(FileSystemLoader(str(d)))
    packaged = FileSystemLoader(str(TEMPLATES_DIR))
    loaders += [packaged, PrefixLoader({"coder": packaged}, delimiter="/")]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "svg", "j2"),
                                     disabled_extensions=(), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=pct, nN=n_of_N, fmt=fmt, ink=ink, shorten=shorten, longdate=longdate,
                       monthyear=monthyear, join_and=join_and, plural=plural, glyph=glyph, ucfirst=ucfirst)
    env.globals.update(contrast=contrast, plural=plural, join_and=join_and)
    env.globals["_templates_dir"] = str(Path(templates_dir).resolve()) if templates_dir is not None else None
    return env


def copy_templates(dest: str | os.PathLike) -> Path:
    """Copy the packaged templates to ``dest`` (which must not exist) to restyle them."""
    dest = Path(dest)
    if dest.exists():
        raise ReportError(f"{dest} already exists; choose a new folder for the copy")
    shutil.copytree(TEMPLATES_DIR, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _load_css(env) -> str:
    """coder.css (from the first templates folder that has one), then custom.css if there is one."""
    from jinja2 import TemplateNotFound

    css = env.loader.get_source(env, "coder.css")[0]
    try:
        css += "\n/* custom.css */\n" + env.loader.get_source(env, "custom.css")[0]
    except TemplateNotFound:  # the normal case
        pass
    return _css_safe(css)


# --------------------------------------------------------------------------- figures

def _figures_module():
    try:
        from . import figures
    except ImportError as exc:  # pragma: no cover - the figures module ships with coder
        raise ReportError(f"cannot import coder.figures ({exc}); reinstall coder") from exc
    return figures


def _call(figmod, name: str, *args: Any, title: str, desc: str, **optional: Any):
    """Call ``figmod.<name>(*args, title=, desc=)``, passing the optional keywords it accepts."""
    fn = getattr(figmod, name, None)
    if fn is None:
        raise ReportError(f"coder.figures has no {name}(); check coder/figures.py")
    try:
        params = inspect.signature(fn).parameters
        takes_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        extra = {k: v for k, v in optional.items() if takes_kw or k in params}
    except (TypeError, ValueError):
        extra = {}
    return _svg(fn(*args, title=title, desc=desc, **extra), name)


def _units(data: Mapping) -> str:
    return plural(2, data["project"].get("unit") or "unit")


def _crosscase_figures(data: Mapping, figmod) -> dict:
    cc = data["crosscase"]
    N = data["project"]["n_cases"]
    kinds = data["kinds"]
    units = _units(data)
    prev = cc["prevalence"]
    top = "; ".join(f"{p['name']}: mentioned by {p['n_cases']} of {p['N_cases']} families" for p in prev[:5])
    items = [{"label": p["name"], "value": p["case_share"], "n": p["n_cases"], "N": p["N_cases"],
              "text": f"{p['n_cases']} of {p['N_cases']} ({pct(p['case_share'])})",
              "color": kinds.get(p["kind"], {}).get("color")} for p in prev]
    figs = {
        "prevalence": _call(
            figmod, "bar_chart_svg", items,
            title="Problems: how many families mentioned each",
            desc=(f"Horizontal bar chart, one bar per problem, most mentioned first, out of {N} families. {top}."
                  " The table below gives every number."),
            max_value=1.0, empty_note="No problem was mentioned by any family."),
    }
    m = cc["matrix"]
    figs["heatmap"] = _call(
        figmod, "heatmap_svg", m["cases"], m["code_names"], m["values"],
        title="Problems mentioned in each family",
        desc=(f"Grid with one row per family ({len(m['cases'])}) and one column per problem ({len(m['codes'])});"
              f" each filled cell gives the number of {units} coded to that problem, darker for more."
              " An empty cell means the problem was not mentioned."),
        value_label=units, empty_note="No problems were coded.")
    net = cc["network"]
    edges = net["edges"]
    names = {n["id"]: n["name"] for n in net["nodes"]}
    # Only problems in a significant pair are drawn (the caption names the rest);
    # with no pair at all, every problem is drawn with the note.
    linked = {e["source"] for e in edges} | {e["target"] for e in edges}
    if edges:
        pairs = "; ".join(f"{names.get(e['source'], e['source'])} and {names.get(e['target'], e['target'])}"
                          f" ({e['count']} of {net['N']} families)"
                          for e in sorted(edges, key=lambda e: -(e.get("count") or 0))[:5])
        ndesc = (f"Network of the {len(linked)} problems that are in at least one pair, joined by {len(edges)} lines, one for each pair"
                 f" mentioned by the same families more often than chance. Strongest pairs: {pairs}.")
    else:
        ndesc = f"Network of {len(net['nodes'])} problems with no lines: no pair co-occurs more often than chance."
    drawn = [n for n in net["nodes"] if n["id"] in linked] if edges else net["nodes"]
    figs["network"] = _call(
        figmod, "network_svg", drawn, edges, kinds=kinds, title="Problems that go together", desc=ndesc,
        height=max(280, min(520, 70 * len(drawn))),
        empty_note="No pair of problems co-occurs more often than chance (see the note above).")
    themes = data.get("themes")
    if themes and themes.get("themes"):
        figs["themes"] = _call(
            figmod, "theme_bars_svg", themes,
            title="Emergent themes by size",
            desc=(f"Bar chart of {len(themes['themes'])} themes found by topic modelling, largest first, by number"
                  f" of {units}; each bar is labelled with the theme's first keywords."),
            unit=units)
    return figs


def _family_figures(data: Mapping, fam: Mapping, figmod, *, compact: bool = False) -> dict:
    kinds = data["kinds"]
    name = fam["title"]
    units = _units(data)
    figs = {}
    tl = fam["timeline"]
    dated = sorted((e for e in tl["events"] if e.get("year") is not None),
                   key=lambda e: (e["year"], e.get("order") or 0))
    undated = [e for e in tl["events"] if e.get("year") is None]
    listed = "; ".join(f"{e['label']} ({e.get('anchor') or int(e['year'])})" for e in dated[:8])
    # Undated events are listed in the page's text (in the order told), not in
    # the figure: a long undated column makes the life grid tall and tiny.
    figs["timeline"] = _call(
        figmod, "timeline_svg", dict(tl, events=dated),
        title=f"{name}: the journey",
        desc=(f"Life grid from {tl['start_year']} to {tl['end_year']}, one lane per area of life"
              f" ({join_and(tl['domains'])}). {len(dated)} dated {plural(len(dated), 'event')}"
              + (f": {listed}" if listed else "") + ("; and others." if len(dated) > 8 else ".")
              + (f" {len(undated)} undated {plural(len(undated), 'event')} are listed after the figure." if undated else "")),
        empty_note="No events with a time were found in this interview.")
    if compact:
        return figs
    hh = fam["household"]
    figs["genogram"] = _call(
        figmod, "genogram_svg", hh,
        title=f"{name}: who is in the household",
        desc=("Household diagram (genogram): " + ("; ".join(p["label"] + (", lives elsewhere" if p.get("away") else "")
                                                             for p in hh) if hh else "no household details were recorded")
              + "."),
        empty_note="No household details were recorded.")
    web = fam["web"]
    mentioned = [n["name"] for n in sorted(web["nodes"], key=lambda n: -(n.get("frequency") or 0))]
    figs["web"] = _call(
        figmod, "network_svg", web["nodes"], web["edges"], links=web["links"], loops=web["loops"], kinds=kinds,
        title=f"{name}: the problem web",
        desc=(f"Web of the {len(web['nodes'])} {plural(len(web['nodes']), 'problem')} this family mentioned"
              + (f" ({join_and(mentioned[:8])}" + (" and others" if len(mentioned) > 8 else "") + ")" if mentioned else "")
              + f", with {len(web['edges'])} {plural(len(web['edges']), 'line')} between problems talked about together"
              f" and {len(web['links'])} {plural(len(web['links']), 'arrow')} where the family said one led to another"
              + (f"; {len(web['loops'])} {plural(len(web['loops']), 'loop')} of problems feeding each other." if web["loops"] else ".")),
        empty_note="This family did not mention problems together.")
    sv = fam["services"]
    figs["ecomap"] = _call(
        figmod, "ecomap_svg", name, sv,
        title=f"{name}: services around the family",
        desc=(f"Ecomap: the family at the centre, joined to {len(sv)} {plural(len(sv), 'agency', 'agencies')}"
              + (" (" + "; ".join(f"{s['name']}, {s['n_units']} {plural(s['n_units'], data['project'].get('unit') or 'unit')}"
                                  for s in sv) + ")" if sv else "") + "; thicker lines mean more mentions."),
        value_label=units, empty_note="No services or agencies were mentioned.")
    return figs


# --------------------------------------------------------------------------- HTML

def _median(xs: Sequence[float]) -> float | None:
    xs = sorted(xs)
    if not xs:
        return None
    mid = len(xs) // 2
    return float(xs[mid]) if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def _summary(data: Mapping) -> dict:
    """Counts for "At a glance", read off the matrix and services (no new analysis)."""
    cc = data["crosscase"]
    per_family = [sum(1 for v in row if v) for row in cc["matrix"]["values"]]
    services = [s["n"] for s in cc["services_per_family"]]
    return {
        "problems_per_family": per_family,
        "n_multi": sum(1 for n in per_family if n >= 2),
        "median_problems": _median(per_family),
        "services_min": min(services) if services else None,
        "services_max": max(services) if services else None,
        "services_median": _median(services),
    }


def _family(data: Mapping, case: str | None) -> Mapping:
    fams = data["families"]
    if case is None:
        raise ReportError("a journey report needs a case; pass case= one of " + ", ".join(f["case"] for f in fams))
    for f in fams:
        if f["case"] == case:
            return f
    raise ReportError(f"no family {case!r} in the report data; known cases: " + ", ".join(f["case"] for f in fams))


def _render(env, kind: str, data: Mapping, *, case: str | None = None, extra: Mapping | None = None) -> str:
    from jinja2 import TemplateError, TemplateNotFound

    ctx: dict[str, Any] = {"data": data, "kind": kind, "kinds": data["kinds"] if "kinds" in data else {}}
    if kind in KINDS:
        figmod = _figures_module()
        ctx["css"] = _load_css(env)
        if kind == "journey":
            fam = _family(data, case)
            ctx.update(family=fam, figures=_family_figures(data, fam, figmod))
        elif kind == "crosscase":
            ctx.update(figures=_crosscase_figures(data, figmod), summary=_summary(data))
        else:
            ctx["cards"] = [(f, _family_figures(data, f, figmod, compact=True)) for f in data["families"]]
    elif kind == "index":
        ctx["css"] = _load_css(env)
    else:
        raise ReportError(f"unknown report kind {kind!r}; choose one of {', '.join(KINDS)}")
    ctx.update(extra or {})
    try:
        return env.get_template(f"{kind}.html.j2").render(ctx)
    except TemplateNotFound as exc:
        raise ReportError(f"template {exc.name!r} not found in {env.globals['_templates_dir'] or TEMPLATES_DIR}") from exc
    except TemplateError as exc:
        where = f"{exc.filename}:{exc.lineno}: " if getattr(exc, "lineno", None) else ""
        raise ReportError(f"{where}{kind} template failed: {exc}") from exc


def render_html(kind: str, data: Mapping, *, case: str | None = None,
                templates_dir: str | os.PathLike | None = None) -> str:
    """Render one report to a self-contained HTML string.

    Parameters
    ----------
    kind
        ``"journey"`` (one family; needs ``case``), ``"crosscase"`` or ``"training"``.
    data
        The report data dict (contract v1), computed once by :mod:`coder.reportdata`.
    case
        The family's case id, for ``kind="journey"``.
    templates_dir
        A folder of templates searched before the packaged ones.

    Returns
    -------
    str
        One HTML document with its CSS and SVG figures inline.
    """
    if kind not in KINDS:
        raise ReportError(f"unknown report kind {kind!r}; choose one of {', '.join(KINDS)}")
    return _render(make_env(templates_dir), kind, data, case=case)


# --------------------------------------------------------------------------- PDF

def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class SafeFetcher(URLFetcher):
        """Serves ``data:`` URLs and files inside ``roots``; refuses everything else."""

        def __init__(self, roots: Iterable[Path]):
            super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False,
                             fail_on_errors=True)
            self.roots = [Path(r).resolve() for r in roots]
            self.refused: list[str] = []
            self.served: list[str] = []

        def check(self, url: str) -> None:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return
            if scheme != "file":
                raise UnsafeURLError(url, "network and other non-file URLs are never fetched")
            if parts.netloc not in ("", "localhost"):
                raise UnsafeURLError(url, "file URLs on another host are never fetched")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if not any(path == r or path.is_relative_to(r) for r in self.roots):
                raise UnsafeURLError(url, "the file is outside the template and output folders ("
                                     + ", ".join(str(r) for r in self.roots) + ")")

        def fetch(self, url, headers=None):
            try:
                self.check(url)
            except UnsafeURLError:
                self.refused.append(url)
                raise
            self.served.append(url)
            return super().fetch(url, headers)

    return SafeFetcher


def safe_fetcher(roots: Iterable[str | os.PathLike]):
    """A WeasyPrint URL fetcher that refuses network URLs and files outside ``roots``."""
    return _fetcher_class()([Path(r) for r in roots])


def render_pdf(html: str, out_path: str | os.PathLike, *, base_dir: str | os.PathLike,
               allowed_dirs: Iterable[str | os.PathLike] = (), variant: str | None = PDF_VARIANT) -> dict:
    """Write ``html`` as an accessible PDF at ``out_path``.

    The PDF is PDF/UA-1 (tagged, with the document title and language from
    ``<title>`` and ``<html lang>``); if WeasyPrint cannot make that variant it
    falls back to an ordinary tagged PDF.  Which one was written is stored in
    the PDF's document information (``/CoderPDFVariant``) and returned.

    Parameters
    ----------
    html
        The HTML document, normally from :func:`render_html`.
    out_path
        The PDF file to write (atomically).
    base_dir
        Folder that relative URLs resolve against (the output folder).
    allowed_dirs
        Further folders files may be read from (a custom templates folder).
        The packaged templates, ``base_dir`` and the folder of ``out_path`` are
        always allowed; nothing else is, and no network URL ever is.

    Returns
    -------
    dict
        ``{"path", "variant", "pages", "fallback_reason"}``.

    Raises
    ------
    UnsafeURLError
        The document referred to a network URL or to a file outside the allowed folders.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    from .fsutil import atomic_write_bytes

    out_path = Path(out_path)
    base_dir = Path(base_dir)
    roots = [TEMPLATES_DIR, base_dir, out_path.parent, *[Path(d) for d in allowed_dirs]]
    fetcher = safe_fetcher(roots)
    info: dict[str, Any] = {"path": str(out_path), "variant": None, "pages": 0, "fallback_reason": None}

    def finisher(variant_name):
        def _finish(document, pdf):
            import pydyf
            pdf.info["CoderPDFVariant"] = pydyf.String(variant_name)
        return _finish

    def write(**options) -> bytes:
        try:
            doc = HTML(string=html, base_url=str(base_dir.resolve()) + os.sep, url_fetcher=fetcher).render(**options)
            info["pages"] = len(doc.pages)
            return doc.write_pdf(finisher=finisher(options.get("pdf_variant") or "tagged"), **options)
        except FatalURLFetchingError as exc:
            cause = exc.__cause__
            if isinstance(cause, UnsafeURLError):
                raise UnsafeURLError(cause.url, cause.reason) from None
            raise ReportError(f"{out_path.name}: {exc} ({cause}); reports must be self-contained") from None

    pdf: bytes | None = None
    if variant:
        try:
            pdf = write(pdf_variant=variant)
            info["variant"] = variant
        except ReportError:
            raise
        except Exception as exc:  # a variant WeasyPrint cannot satisfy: fall back, and say so
            info["fallback_reason"] = f"{type(exc).__name__}: {exc}"
    if pdf is None:
        pdf = write(pdf_tags=True)
        info["variant"] = "tagged"
    if fetcher.refused:  # pragma: no cover - fail_on_errors makes a refusal fatal above
        raise UnsafeURLError(fetcher.refused[0], "refused during rendering")
    atomic_write_bytes(out_path, pdf)
    return info


# --------------------------------------------------------------------------- many reports

_OURS = ("index.html", "crosscase.html", "crosscase.pdf", "training.html", "training.pdf")


def _report_title(data: Mapping) -> str:
    return data["project"]["title"]


def write_reports(
    data: Mapping,
    out_dir: str | os.PathLike,
    *,
    kinds: Sequence[str] = KINDS,
    formats: Sequence[str] = FORMATS,
    cases: Sequence[str] | None = None,
    templates_dir: str | os.PathLike | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> dict:
    """Render every requested report into ``out_dir``, all or nothing.

    Writes ``journeys/<case>.html|pdf``, ``crosscase.html|pdf``,
    ``training.html|pdf`` and an ``index.html`` linking every report in the
    folder.  Everything is rendered into a staging folder inside ``out_dir``
    first; only when all of it has succeeded are the files moved into place
    (one rename each; a full set of journeys replaces ``journeys/`` as a
    whole).  A failure leaves ``out_dir`` exactly as it was.  Other files in
    ``out_dir`` (a project folder, exports) are never touched.

    Parameters
    ----------
    data
        The report data dict (computed once; this function only renders).
    out_dir
        Output folder; created if missing.
    kinds, formats
        Subsets of ``("journey", "crosscase", "training")`` and ``("html", "pdf")``.
    cases
        Case ids for journeys (default: every family).
    templates_dir
        A folder of templates searched before the packaged ones.
    progress
        Called as ``progress("render", done, total)``.
    workers
        Processes for the PDFs (default: up to 4, one per CPU); 1 renders in this process.

    Returns
    -------
    dict
        ``{"out", "files", "index", "pdf", "fit", "seconds"}``: ``files`` lists
        the written paths relative to ``out_dir``; ``pdf`` maps each PDF to the
        variant written (``"pdf/ua-1"`` or ``"tagged"``); ``fit`` lists the
        journeys that needed tighter print styles (level 1 or 2) to stay
        within two A4 pages.
    """
    t0 = time.perf_counter()
    kinds = tuple(kinds)
    formats = tuple(formats)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ReportError(f"unknown report kind {bad[0] if bad else '(none)'!r}; choose one of {', '.join(KINDS)}")
    badf = [f for f in formats if f not in FORMATS]
    if badf or not formats:
        raise ReportError(f"unknown report format {badf[0] if badf else '(none)'!r}; choose html, pdf or both")
    all_cases = [f["case"] for f in data["families"]]
    if cases is None:
        cases = all_cases
    else:
        cases = list(cases)
        for c in cases:
            _family(data, c)  # raises, naming the known cases

    env = make_env(templates_dir)
    allowed = [templates_dir] if templates_dir is not None else []
    jobs: list[tuple[str, str | None, str]] = []
    if "crosscase" in kinds:
        jobs.append(("crosscase", None, "crosscase"))
    if "training" in kinds:
        jobs.append(("training", None, "training"))
    if "journey" in kinds:
        jobs += [("journey", c, f"journeys/{c}") for c in cases]
    total = len(jobs) * len(formats) + 1

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=".coder-report.tmp-"))
    written: list[str] = []
    pdfs: dict[str, str] = {}
    fits: dict[str, int] = {}
    done = 0
    try:
        (staging / "journeys").mkdir()
        pdf_jobs: list[tuple[str, Path, int | None]] = []
        for kind, case, stem in jobs:
            html = _render(env, kind, data, case=case)
            if "html" in formats:
                (staging / f"{stem}.html").write_text(html, encoding="utf-8")
                written.append(f"{stem}.html")
                done += 1
                if progress:
                    progress("render", done, total)
            if "pdf" in formats:
                pdf_jobs.append((html, staging / f"{stem}.pdf", JOURNEY_PAGES if kind == "journey" else None))
        htmls = {target: html for html, target, _ in pdf_jobs}
        for res in _pdfs(pdf_jobs, [staging, *allowed], workers):
            target = Path(res["path"])
            name = target.relative_to(staging).as_posix()
            pdfs[name] = res["variant"]
            if res["fit"]:
                fits[name] = res["fit"]
            written.append(name)
            if res["fit"] and "html" in formats:  # the HTML prints like its PDF
                target.with_suffix(".html").write_text(with_fit(htmls[target], res["fit"]), encoding="utf-8")
            done += 1
            if progress:
                progress("render", done, total)
        full_journeys = "journey" in kinds and sorted(cases) == sorted(all_cases)
        present = set(written)
        for name in _OURS[1:]:
            if (out_dir / name).is_file():
                present.add(name)
        if not full_journeys and (out_dir / "journeys").is_dir():
            present |= {f"journeys/{p.name}" for p in (out_dir / "journeys").iterdir()
                        if p.suffix in (".html", ".pdf") and not p.name.startswith(".")}
        index = _render(env, "index", data, extra={"links": _index_links(data, present)})
        (staging / "index.html").write_text(index, encoding="utf-8")
        written.append("index.html")
        done += 1
        if progress:
            progress("render", done, total)
        _swap_in(staging, out_dir, written, full_journeys=full_journeys)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return {"out": str(out_dir), "files": sorted(written), "index": str(out_dir / "index.html"),
            "pdf": dict(sorted(pdfs.items())), "fit": dict(sorted(fits.items())),
            "seconds": round(time.perf_counter() - t0, 2)}


#: A family journey should print on at most this many A4 pages.
JOURNEY_PAGES = 2
FIT_LEVELS = 3


def with_fit(html: str, level: int) -> str:
    """``html`` with ``fit-<level>`` added to the ``<body>`` classes (tighter print styles in coder.css)."""
    if not level:
        return html
    m = re.search(r"<body\b[^>]*>", html)
    if not m:
        return html
    tag = m.group(0)
    if re.search(r'\sclass="', tag):
        new = re.sub(r'(\sclass=")', rf"\1fit-{level} ", tag, count=1)
    else:
        new = tag[:-1] + f' class="fit-{level}">'
    return html[:m.start()] + new + html[m.end():]


def _pdf_job(html: str, target: Path, allowed: list, max_pages: int | None = None) -> dict:
    """One PDF; with ``max_pages``, retry with tighter print styles until it fits (or styles run out)."""
    for level in range(FIT_LEVELS if max_pages else 1):
        info = render_pdf(with_fit(html, level), target, base_dir=target.parent, allowed_dirs=allowed)
        info["fit"] = level
        if not max_pages or info["pages"] <= max_pages:
            break
    return info


def _pdfs(jobs: list[tuple[str, Path, int | None]], allowed: list, workers: int | None) -> Iterable[dict]:
    """Render PDFs, in worker processes when there are several (WeasyPrint is CPU-bound)."""
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for html, target, max_pages in jobs:
            yield _pdf_job(html, target, allowed, max_pages)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # fork is fastest (WeasyPrint is already imported) but unsafe once other threads
    # exist (a progress bar's refresh thread, say); then start clean workers instead.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        ctx = multiprocessing.get_context("fork")
    else:
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        futures = [pool.submit(_pdf_job, html, target, allowed, max_pages) for html, target, max_pages in jobs]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _swap_in(staging: Path, out_dir: Path, written: list[str], *, full_journeys: bool) -> None:
    """Move the staged files into ``out_dir`` (renames on one filesystem)."""
    journeys = [w for w in written if w.startswith("journeys/")]
    if full_journeys:
        old = out_dir / "journeys"
        backup = None
        if old.exists():
            backup = out_dir / f".journeys.old-{os.getpid()}"
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(old, backup)
        os.replace(staging / "journeys", old)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    elif journeys:
        (out_dir / "journeys").mkdir(exist_ok=True)
        for w in journeys:
            os.replace(staging / w, out_dir / w)
    for w in written:
        if not w.startswith("journeys/") and w != "index.html":
            os.replace(staging / w, out_dir / w)
    os.replace(staging / "index.html", out_dir / "index.html")  # last: it links the others


def _index_links(data: Mapping, present: set[str]) -> dict:
    def pair(stem: str) -> dict:
        return {fmt_: f"{stem}.{fmt_}" for fmt_ in FORMATS if f"{stem}.{fmt_}" in present}

    fams = [{"case": f["case"], "title": f["title"], "interview_date": f.get("interview_date"),
             "files": pair(f"journeys/{f['case']}")} for f in data["families"]]
    return {"crosscase": pair("crosscase"), "training": pair("training"),
            "journeys": [f for f in fams if f["files"]]}
