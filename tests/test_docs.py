"""The documentation matches the code: CLI reference, README commands, CI."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date():
    sys.path.insert(0, str(ROOT / "scripts"))
    from gen_cli_docs import render

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render(), \
        "docs/cli.md is stale: run .venv/bin/python scripts/gen_cli_docs.py"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    commands = [line for line in blocks[0].splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, "the README's first block holds exactly the two commands"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert "coder demo" in commands[0]


def test_every_public_module_has_a_docstring():
    import importlib
    import pkgutil

    import coder

    for m in pkgutil.iter_modules(coder.__path__):
        mod = importlib.import_module(f"coder.{m.name}")
        assert (mod.__doc__ or "").strip(), f"coder.{m.name} has no module docstring"


def test_docs_pages_exist_and_are_linked():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("formats", "codebook", "cli", "api", "method", "reports"):
        assert (ROOT / "docs" / f"{page}.md").is_file()
        assert f"docs/{page}.md" in readme
