"""Regenerate docs/cli.md from the commands' own --help (so the reference cannot drift).

    .venv/bin/python scripts/gen_cli_docs.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def render() -> str:
    from typer.main import get_command
    from typer.testing import CliRunner

    from coder.cli import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    os.environ["NO_COLOR"] = "1"
    runner = CliRunner()
    group = get_command(app)
    parts = ["# Command-line reference\n",
             "Generated from `coder --help` by `scripts/gen_cli_docs.py`; a test fails when it is out of date.\n",
             "Every command takes the project directory first, prints a human summary (or one JSON document with "
             "`--json`), and exits 0 on success, 1 on a user error (one line naming what to fix) and 2 on bad usage.\n"]
    names = []
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            names += [(f"{name} {sub}", [name, sub]) for sub in sorted(cmd.commands)]
        else:
            names.append((name, [name]))
    for title, argv in names:
        result = runner.invoke(app, argv + ["--help"], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        parts.append(f"## coder {title}\n\n```\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render(), encoding="utf-8")
    print("wrote docs/cli.md")
