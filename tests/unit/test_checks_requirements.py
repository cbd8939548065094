"""Declared dependencies: each form pip, PEP 621/735, setuptools and Poetry accept names its distribution."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_gtguard.checks.deps import declared, new_dependency_findings
from pytest_gtguard.checks.requirements import from_requirements_file, name_of


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        pytest.param("Flask_Login[extra]>=0.6 ; python_version > '3.8'", "flask-login", id="pep508-marker"),
        pytest.param("requests @ https://example.com/requests-2.31.tar.gz", "requests", id="url-requirement"),
        pytest.param("git+https://github.com/org/repo.git@v1#egg=Some.Lib", "some-lib", id="vcs-egg"),
        pytest.param("https://example.com/archive/main.zip#egg=rich&subdirectory=src", "rich", id="url-egg"),
        pytest.param("./dist/attrs-23.1.0-py3-none-any.whl", "attrs", id="wheel-path"),
        pytest.param("https://files.example/numpy-1.26.0.tar.gz", "numpy", id="sdist-url"),
        pytest.param(".", None, id="local-path"),
        pytest.param("not a requirement!", None, id="garbage"),
    ],
)
def test_name_of_reads_every_requirement_form(spec: str, name: str | None) -> None:
    assert name_of(spec) == name


def test_requirements_file_reads_editables_urls_includes_and_continuations(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "requirements.txt",
        """
        # pinned for the grader
        --index-url https://pypi.org/simple
        -r base.in
        -c constraints.txt
        -e git+https://github.com/org/tool.git@main#egg=in-house-tool
        --editable=./vendored
        pandas @ https://example.com/pandas-2.2.0.tar.gz
        https://example.com/pkg.zip#egg=zipped  # a comment after a URL
        rich==13.7 \\
            --hash=sha256:0123456789abcdef
        """,
    )
    _write(tmp_path, "base.in", "httpx>=0.27\n-r requirements.txt\n")  # a cycle is read once
    _write(tmp_path, "constraints.txt", "never-declared==1\n")

    found = [(name, path.name, line) for name, path, line in from_requirements_file(tmp_path / "requirements.txt")]

    assert found == [
        ("httpx", "base.in", 1),
        ("in-house-tool", "requirements.txt", 5),
        ("pandas", "requirements.txt", 7),
        ("zipped", "requirements.txt", 8),
        ("rich", "requirements.txt", 9),
    ]


def test_an_editable_vcs_requirement_is_a_new_dependency(tmp_path: Path) -> None:
    _write(tmp_path, "before/requirements.txt", "attrs\n")
    _write(tmp_path, "after/requirements.txt", "attrs\n-e git+https://github.com/org/fastlib.git#egg=fastlib\n")

    findings = new_dependency_findings(tmp_path / "after", [tmp_path / "before"], base=tmp_path)

    assert [(f.subject, f.file, f.line) for f in findings] == [("fastlib", "after/requirements.txt", 2)]


def test_a_url_requirement_is_a_new_dependency(tmp_path: Path) -> None:
    _write(tmp_path, "before/requirements.txt", "attrs\n")
    _write(tmp_path, "after/requirements.txt", "attrs\norjson @ https://example.com/orjson-3.10.tar.gz\n")

    findings = new_dependency_findings(tmp_path / "after", [tmp_path / "before"], base=tmp_path)

    assert [f.subject for f in findings] == ["orjson"]


def test_pyproject_dependency_groups_and_poetry_groups_are_read(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        dependencies = ["attrs"]

        [dependency-groups]
        test = ["pytest>=8", {include-group = "lint"}]
        lint = ["ruff"]

        [tool.poetry.group.docs.dependencies]
        sphinx = "^7"
        """,
    )

    assert sorted(r.name for r in declared(tmp_path)) == ["attrs", "pytest", "ruff", "sphinx"]


def test_setup_cfg_install_requires_and_extras_are_read(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "setup.cfg",
        """
        [metadata]
        name = demo

        [options]
        install_requires =
            click>=8  # the CLI
            tabulate

        [options.extras_require]
        yaml = PyYAML
        """,
    )

    assert [(r.name, r.line) for r in declared(tmp_path)] == [("click", 6), ("tabulate", 7), ("pyyaml", 10)]


def test_setup_py_literals_are_read_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _write(
        tmp_path,
        "setup.py",
        f"""
        from pathlib import Path
        from setuptools import setup

        Path({str(marker)!r}).write_text("setup.py was executed")
        REQUIRES = [
            "numpy>=1.26",
            "scipy",
        ]
        setup(name="demo", install_requires=REQUIRES, extras_require={{"plot": ["matplotlib"]}})
        """,
    )

    assert [(r.name, r.line) for r in declared(tmp_path)] == [("numpy", 6), ("scipy", 7), ("matplotlib", 9)]
    assert not marker.exists()


def test_an_unparsable_setup_py_declares_nothing(tmp_path: Path) -> None:
    _write(tmp_path, "setup.py", "setup(install_requires=[\n")

    assert declared(tmp_path) == []
