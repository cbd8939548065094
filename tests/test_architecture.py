"""The layering rule of docs/architecture.md, checked on the source: pure modules never import pytest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "pytest_gtguard"
GLUE = {"plugin.py", "channel.py", "_config.py", "_xdist.py", "hookspecs.py"}
# Modules that drive pytest's own runtest protocol (inside meta's forked children) are glue by nature.
PROTOCOL_DRIVERS = {"meta/runner.py", "meta/phases.py"}
# The grader's reporter is a pytest plugin that runs inside the sandbox, next to candidate code.
SANDBOXED_PLUGINS = {"reward/inside/reporter.py"}


def module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module if node.module.startswith("pytest_gtguard") else node.module.split(".")[0])
    return names


PURE = sorted(
    p
    for p in SRC.rglob("*.py")
    if p.name not in GLUE and str(p.relative_to(SRC)) not in PROTOCOL_DRIVERS | SANDBOXED_PLUGINS
)


@pytest.mark.parametrize("path", PURE, ids=[str(p.relative_to(SRC)) for p in PURE])
def test_architecture_pure_module_does_not_import_pytest_or_glue(path: Path) -> None:
    imported = module_level_imports(path)
    assert "pytest" not in imported and "_pytest" not in imported, f"{path} imports pytest at module level"
    glue = {m for m in imported if m.startswith("pytest_gtguard") and m.rsplit(".", 1)[-1] in {"plugin", "_config"}}
    assert not glue, f"{path} imports glue modules {glue}"


def test_architecture_no_private_pytest_imports_anywhere() -> None:
    offenders = [str(p) for p in SRC.rglob("*.py") if "_pytest" in module_level_imports(p)]
    assert offenders == []


def test_architecture_modules_stay_under_400_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_docs_configuration_table_is_current() -> None:
    script = Path(__file__).parents[1] / "docs" / "gen_configuration.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("feature", ["checks", "meta", "perf", "split"])
def test_architecture_feature_option_table_imports_first(feature: str) -> None:
    # A fresh interpreter: importing a feature's options before settings must not be a circular import.
    proc = subprocess.run(
        [sys.executable, "-c", f"import pytest_gtguard.{feature}.options"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def all_imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


JUDGE = sorted(p for p in (SRC / "reward").glob("*.py"))


@pytest.mark.parametrize("path", JUDGE, ids=[p.name for p in JUDGE])
def test_architecture_judge_never_imports_what_runs_beside_candidate_code(path: Path) -> None:
    # The trust boundary of gtguard grade (docs/reward.md): the process that decides the reward never
    # loads the sandboxed reporter, the side machinery that imports candidate code, or any plugin.
    bad = {
        m
        for m in all_imports(path)
        if m.startswith(("pytest_gtguard.reward.inside", "pytest_gtguard.side", "_pytest"))
        or m == "pytest"
        or m.endswith(".plugin")
    }
    assert bad == set(), f"{path.name} imports {bad}"


def test_architecture_only_the_sandbox_starts_processes_in_the_judge() -> None:
    starters = sorted(p.name for p in JUDGE if "subprocess" in all_imports(p) or "os.fork" in p.read_text())
    assert starters == ["sandbox.py"]


def test_architecture_judge_imports_load_no_candidate_side_code() -> None:
    code = (
        "import sys, pytest_gtguard.cli, pytest_gtguard.reward.adapters;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')"
        " or m.startswith(('pytest_gtguard.side.imports', 'pytest_gtguard.side.load', 'pytest_gtguard.reward.inside'))"
        " or m.endswith('.plugin')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_architecture_batch_sits_on_top_and_only_the_cli_imports_it() -> None:
    # gtguard batch drives the single-task commands (reward, split, task) in child processes: nothing
    # below it may import it back (no cycle), and it never imports a plugin or pytest at module level.
    importers = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.parent.name != "batch"
        and p.name != "cli.py"
        and any(m.startswith("pytest_gtguard.batch") for m in all_imports(p))
    )
    assert importers == []
    for path in (SRC / "batch").glob("*.py"):
        assert not {m for m in all_imports(path) if m.endswith(".plugin") or m.split(".")[0] in ("pytest", "_pytest")}
