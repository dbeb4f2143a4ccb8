"""Merge a codebook patch (for example the proposed codes of ``coder themes``) into the project's codebook.

A patch is a codebook file in the SPEC §2 shape (``codebook``, ``title``,
``version``, ``codes:``).  :func:`merge_patch` appends the patch's codes to
the current codebook *as text*, so the comments and layout of both files
survive (a researcher's notes in the codebook, the reminders in the
patch), bumps the codebook's version at its last level (``1.0.0`` → ``1.0.1``,
``1`` → ``1.1``), validates the result with
:func:`coder.codebook.parse_codebook` and stores it as a new codebook version.
A code id that the codebook already has is refused, naming the id.

When either file's ``codes:`` list is not a plain block list (for example a
flow list ``codes: [...]``) the merged codebook is rebuilt from the parsed
data instead, and a warning says that comments were not kept.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import yaml

from .codebook import Codebook, parse_codebook
from .errors import CodebookError

__all__ = ["merge_patch", "merge_codebook_text", "bump_version"]

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_CODES_KEY = re.compile(r"^codes\s*:\s*(#.*)?$")
_VERSION_LINE = re.compile(r"^version\s*:.*$", re.M)


def bump_version(version: str) -> str:
    """The next version at the last level.

    Examples
    --------
    >>> bump_version("1.0.0"), bump_version("1"), bump_version("2.9"), bump_version("draft")
    ('1.0.1', '1.1', '2.10', 'draft.1')
    """
    version = str(version).strip()
    if re.fullmatch(r"\d+(\.\d+)+", version):
        head, last = version.rsplit(".", 1)
        return f"{head}.{int(last) + 1}"
    return f"{version}.1"


def _codes_block(lines: list[str]) -> tuple[int, int, int] | None:
    """``(first item line, end line, item indent)`` of the top-level block list ``codes:``; None if absent."""
    start = next((i for i, line in enumerate(lines) if _CODES_KEY.match(line)), None)
    if start is None:
        return None
    end = len(lines)
    for j in range(start + 1, len(lines)):
        if _TOP_KEY.match(lines[j]):
            end = j
            break
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # trailing blank lines and column-0 comments belong to what follows
    indent = next((len(line) - len(line.lstrip(" ")) for line in lines[start + 1:end]
                   if line.lstrip(" ").startswith("- ") or line.strip() == "-"), None)
    if indent is None:
        return None
    return start + 1, end, indent


def _reindent(lines: list[str], src: int, dst: int) -> list[str]:
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        have = len(line) - len(line.lstrip(" "))
        out.append(" " * dst + line[min(have, src):])
    return out


def _all_ids(items: Any) -> list[str]:
    ids: list[str] = []
    for item in items or []:
        if isinstance(item, dict):
            if item.get("id") is not None:
                ids.append(str(item["id"]))
            ids += _all_ids(item.get("codes"))
    return ids


def merge_codebook_text(base_text: str, patch_text: str, *, base_source: str = "codebook",
                        patch_source: str = "patch") -> tuple[str, list[str], list[str]]:
    """Merge ``patch_text``'s codes into ``base_text``: ``(merged text, added ids, warnings)``.

    Raises :class:`~coder.errors.CodebookError` when the patch is not a valid
    codebook, has no codes, or repeats a code id of the base.

    Examples
    --------
    >>> base = "codebook: cb\\nversion: 1.0.0\\ncodes:\\n  - id: debt\\n    name: Debt\\n"
    >>> patch = "codebook: cb\\ncodes:\\n- id: theme_pigeons\\n  name: Pigeons\\n"
    >>> text, added, _ = merge_codebook_text(base, patch)
    >>> print(text, end="")
    codebook: cb
    version: "1.0.1"
    codes:
      - id: debt
        name: Debt
    <BLANKLINE>
      # merged from patch
      - id: theme_pigeons
        name: Pigeons
    >>> added
    ['theme_pigeons']
    """
    base = parse_codebook(base_text, source=base_source)
    patch_text = patch_text.replace("\r\n", "\n")
    patch_data = yaml.safe_load(patch_text) if patch_text.strip() else None
    if not isinstance(patch_data, dict) or not patch_data.get("codes"):
        raise CodebookError("the patch has no codes to merge; it needs a non-empty 'codes:' list", path=patch_source)
    parse_codebook(patch_text, source=patch_source)  # validates the patch, with its own line numbers
    added = _all_ids(patch_data["codes"])
    existing = set(base.ids)
    for code_id in added:
        if code_id in existing:
            raise CodebookError(f"code id '{code_id}' is already in codebook '{base.id}'; rename it in the patch "
                                "or delete it there", path=patch_source)

    new_version = bump_version(base.version)
    warnings: list[str] = []
    base_lines = base_text.replace("\r\n", "\n").split("\n")
    patch_lines = patch_text.split("\n")
    b, p = _codes_block(base_lines), _codes_block(patch_lines)
    if b is not None and p is not None:
        insert = ["", " " * b[2] + f"# merged from {Path(patch_source).name}"]
        insert += _reindent(patch_lines[p[0]:p[1]], p[2], b[2])
        lines = base_lines[:b[1]] + insert + base_lines[b[1]:]
        text = "\n".join(lines)
        if _VERSION_LINE.search(text):
            text = _VERSION_LINE.sub(f'version: "{new_version}"', text, count=1)
        else:
            text = f'version: "{new_version}"\n' + text
        if not text.endswith("\n"):
            text += "\n"
    else:
        data = yaml.safe_load(base_text)
        data["version"] = new_version
        data["codes"] = list(data.get("codes") or []) + list(patch_data["codes"])
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        warnings.append("the codebook or the patch does not use a block list for 'codes:'; "
                        "the merged codebook was rewritten and its comments were not kept")
    return text, added, warnings


def merge_patch(project, patch_path: str | Path):
    """Add the codes of the codebook patch at ``patch_path`` to ``project``'s codebook, as a new version.

    Returns the :class:`~coder.project.CodebookReport` of the stored version.
    """
    patch_path = Path(patch_path)
    if not patch_path.is_file():
        raise CodebookError("no such patch file", path=str(patch_path))
    try:
        patch_text = patch_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CodebookError("the patch is not UTF-8 text", path=str(patch_path)) from None
    current: Codebook = project.codebook()
    text, added, warnings = merge_codebook_text(current.yaml_text, patch_text, base_source=current.source,
                                                patch_source=str(patch_path))
    stamp = _dt.date.today().isoformat()
    merged = parse_codebook(text, source=f"{current.source} + {patch_path.name} ({stamp})")
    report = project.set_codebook(merged)
    report.warnings = list(warnings) + list(report.warnings)
    return report
