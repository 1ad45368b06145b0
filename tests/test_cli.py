"""Every command has help, is documented in the README, and `python -m kg` and `kg demo` work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_has_help_and_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help, f"kg {name} has no help text"
        assert f"kg {name}" in readme, f"kg {name} is not documented in README.md"


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "kg", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("kg, version")


def test_demo_builds_and_shows_the_example(tmp_path: Path) -> None:
    store = tmp_path / "demo"
    result = CliRunner().invoke(
        main, ["demo", "--store", str(store), "--no-serve"] if _has_serve_flag() else ["demo", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "papers: 21" in result.output
    assert "Liyuan Liu — 21 papers, 2 author rows" in result.output


def _has_serve_flag() -> bool:
    demo = main.commands["demo"]
    return any("--no-serve" in getattr(p, "secondary_opts", []) or "--no-serve" in p.opts for p in demo.params)
