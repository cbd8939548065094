"""``gtguard init``: a task skeleton that validates clean except for the parts only a person can write.

Every person-only part carries a ``TODO(gtguard)`` mark, which ``gtguard validate`` reports with the
``todo`` severity; everything mechanical (layout, Dockerfile, the three commands, pinned
requirements, .gitignore) is complete from the start.
"""

from __future__ import annotations

import enum
import json
import re
from importlib import metadata
from pathlib import Path

from pytest_gtguard import _atomic
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.task.content import TODO_MARK

__all__ = ["Category", "create_task", "render_task"]


class Category(enum.Enum):
    """The handbook's task categories."""

    BUGFIX = "bugfix"
    FEATURE = "feature"
    REFACTOR = "refactor"
    PERFORMANCE = "performance"
    TESTING = "testing"
    SECURITY = "security"


_HINTS: dict[Category, tuple[str, str]] = {
    # category -> (what repository_before holds, what the tests must pin down)
    Category.BUGFIX: ("the code with the bug", "tests that fail on the bug and pass on the fix"),
    Category.FEATURE: (
        "the code before the feature (empty for a greenfield task)",
        "tests for the new behaviour",
    ),
    Category.REFACTOR: ("the code to refactor", "tests that pin the behaviour and check the structural goal"),
    Category.PERFORMANCE: ("the slow code", "tests of behaviour plus @pytest.mark.perf_gate budgets"),
    Category.TESTING: ("the code under test", "meta-tests that run the suite against broken implementations"),
    Category.SECURITY: ("the vulnerable code", "tests that exploit the flaw and check the fix holds"),
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_CODE = re.compile(r"^([a-z0-9]{6})-", re.IGNORECASE)


def _version(dist: str, fallback: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return fallback


def render_task(name: str, category: Category) -> dict[str, str]:
    """Return {relative path: content} of a new task's files."""
    if not _NAME.match(name):
        raise ConfigError(f"task name {name!r}: use letters, digits, '.', '_' and '-' (e.g. ab12cd-rate-limiter)")
    code = _CODE.match(name)
    instance_id = code.group(1).upper() if code else name.upper()
    title = name[code.end() :] if code else name
    title = title.replace("-", " ").replace("_", " ").strip().capitalize() or name
    before, tests = _HINTS[category]
    instance: dict[str, object] = {
        "instance_id": instance_id,
        "problem_statement": f"{TODO_MARK}: describe the task for the model: current behaviour, what must "
        "change, constraints",
        "base_commit": "repository_before/",
        "test_patch": "tests/",
        "github_url": f"{TODO_MARK}: https://github.com/<owner>/<repo>/tree/main/{name}",
        "environment_setup": "Dockerfile",
        "category": category.value,
        "FAIL_TO_PASS": [],
        "PASS_TO_PASS": [],
    }
    pytest_pin = _version("pytest", "8.3.4")
    gtguard_pin = _version("pytest-gtguard", "0.1.0")
    return {
        "README.md": f"""# {instance_id} - {title}

{TODO_MARK}: one paragraph on the task ({category.value}): what repository_before does and what must change.

## Before
Runs the tests against repository_before ({before}); failures are expected.

```bash
docker compose run --rm before
```

## After
Runs the tests against repository_after, the ground truth; every test must pass.

```bash
docker compose run --rm after
```

## Evaluation
Runs both sides and writes the evaluation report (the split run).

```bash
docker compose run --rm evaluation
```
""",
        "Dockerfile": """FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r requirements.txt
COPY . /app
CMD ["pytest", "--after"]
""",
        "docker-compose.yml": """services:
  before:
    build: .
    command: pytest --before
    volumes:
      - .:/app
  after:
    build: .
    command: pytest --after
    volumes:
      - .:/app
  evaluation:
    build: .
    command: pytest --before --after
    volumes:
      - .:/app
""",
        "requirements.txt": f"pytest=={pytest_pin}\npytest-gtguard=={gtguard_pin}\n",
        "pytest.ini": "[pytest]\ntestpaths = tests\n",
        ".gitignore": "__pycache__/\n*.py[cod]\n.pytest_cache/\n.venv/\nevaluation/20*/\n"
        "evaluation/reports/\nevaluation/*.json\n",
        "instances/instance.json": json.dumps(instance, indent=2) + "\n",
        "trajectory/trajectory.md": f"""# Trajectory

## Analysis
{TODO_MARK}: what the problem is and how you found it (read {before}).

## Strategy
{TODO_MARK}: the approach you chose and the ones you rejected, and why.

## Execution
{TODO_MARK}: the steps you took, and how {tests} verify them.

## Resources
{TODO_MARK}: documentation, articles and tools you used (links).
""",
        "repository_before/.gitkeep": "",
        "repository_after/.gitkeep": "",
        "tests/.gitkeep": "",
        "evaluation/.gitkeep": "",
        "patches/.gitkeep": "",
    }


def create_task(parent: Path, name: str, category: Category) -> Path:
    """Write a new task folder ``parent/name`` and return it.

    Raises:
        ConfigError: the name is invalid, or the folder exists and is not empty.
    """
    files = render_task(name, category)
    root = parent / name
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ConfigError(f"{root} already exists and is not empty; pick another name or --dir")
    for relpath, content in files.items():
        path = root / relpath
        _atomic.write_text(path, content, alternative="pass --dir a writable folder")
    return root
