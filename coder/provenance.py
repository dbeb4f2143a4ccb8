"""Package and model versions recorded with every run (the audit trail)."""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["versions", "coder_version"]

_PACKAGES = (
    "coder", "spacy", "spacy-lookups-data", "sqlalchemy", "pandas", "numpy", "scipy", "networkx",
    "sentence-transformers", "torch", "bertopic", "jinja2", "weasyprint",
)


def coder_version() -> str:
    try:
        return metadata.version("coder")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Versions of Python and the packages that shape results."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    if extra:
        out.update(extra)
    return out
