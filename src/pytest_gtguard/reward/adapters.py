"""Adapters for RL frameworks: verl's ``compute_score`` and an OpenRLHF-style batch reward function.

Thin on purpose: they turn a model's answer text into a candidate (a unified diff, or whole files in
fenced blocks that name their path) and call the same grader as ``gtguard grade``. A task is prepared
once per process (its ground truth also lives in the on-disk cache), so a reward worker that scores
thousands of answers for one task pays for the ground truth once.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_gtguard.reward.grader import GradeOptions, Prepared, grade_prepared, prepare
from pytest_gtguard.reward.model import Grade, Signal, Status, reward_for
from pytest_gtguard.task.trees import copy_tree

__all__ = ["answer_to_candidate", "compute_score", "reward_func"]

_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.M | re.S)
_DIFF_START = re.compile(r"^(?:diff --git |--- (?:a/|\S))", re.M)
_PATH = re.compile(r"[\w.\-]+(?:/[\w.\-]+)*\.[A-Za-z0-9]+")
_DECORATION = re.compile(r"^(?:#+|\*\*|`|file:|path:|filename:)\s*|\s*(?:\*\*|`|:)$", re.I)


class AnswerError(ValueError):
    """The answer holds neither a diff nor files with paths."""


def _safe(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel.strip())
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise AnswerError(f"{rel!r}: a file path must be relative and stay inside the solution")
    return path


def _files(text: str) -> dict[PurePosixPath, str]:
    files: dict[PurePosixPath, str] = {}
    for match in _FENCE.finditer(text):
        info, body = match.group(1).strip(), match.group(2)
        named = next((w for w in info.split() if _PATH.fullmatch(w.split("=", 1)[-1])), None)
        if named is None:
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
            cleaned = _DECORATION.sub("", _DECORATION.sub("", before)).strip()
            named = cleaned if _PATH.fullmatch(cleaned) else None
        if named is not None:
            files[_safe(named.split("=", 1)[-1])] = body
    return files


def answer_to_candidate(answer: str, prepared: Prepared, folder: Path) -> Path:
    """Write the answer's candidate into ``folder`` and return its path (a patch file or a folder).

    Raises:
        AnswerError: nothing to grade in the answer.
    """
    fenced = [m.group(2) for m in _FENCE.finditer(answer) if m.group(1).strip() in ("diff", "patch", "udiff")]
    diff = "\n".join(fenced) if fenced else None
    if diff is None and _DIFF_START.search(answer) and "\n@@ " in answer:
        diff = answer[_DIFF_START.search(answer).start() :]  # type: ignore[union-attr]
    if diff is not None:
        patch = folder / "answer.patch"
        patch.write_text(diff if diff.endswith("\n") else diff + "\n", encoding="utf-8")
        return patch
    files = _files(answer)
    if not files:
        raise AnswerError("the answer holds no unified diff and no fenced file with a path")
    tree = folder / "answer"
    if prepared.files.before is not None:
        copy_tree(prepared.files.before, tree)
    for rel, body in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(body, encoding="utf-8")
    return tree


@functools.lru_cache(maxsize=64)
def _prepared(task: str, isolation: str, timeout: float) -> Prepared:
    return prepare(Path(task), GradeOptions(isolation=isolation, timeout=timeout))


def _task_of(ground_truth: Any, extra_info: Mapping[str, Any] | None) -> str:
    info = extra_info or {}
    task = info.get("task_dir") or info.get("task") or (ground_truth if isinstance(ground_truth, str) else None)
    if not task or not Path(str(task)).is_dir():
        raise AnswerError("name the task folder in extra_info['task_dir'] (or pass it as ground_truth)")
    return str(Path(str(task)).resolve())


def _grade_answer(answer: str, task: str, info: Mapping[str, Any]) -> Grade:
    options = GradeOptions(isolation=str(info.get("isolation", "auto")), timeout=float(info.get("timeout", 600.0)))
    prepared = _prepared(task, options.isolation, options.timeout)
    with tempfile.TemporaryDirectory(prefix="gtguard-answer-") as tmp:
        try:
            candidate = answer_to_candidate(answer, prepared, Path(tmp))
        except AnswerError as exc:
            return Grade("answer", Status.INVALID, reward_for(Status.INVALID), signals=(Signal("invalid", str(exc)),))
        return grade_prepared(prepared, candidate, label="answer", options=options)


def compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Score one answer with verl's custom-reward signature; ``extra_info['task_dir']`` names the task.

    Returns ``score`` (the reward), ``acc`` (1.0 when resolved), ``status``, ``tamper`` and the signal
    codes, flat, so verl can log them as reward extras.
    """
    try:
        task = _task_of(ground_truth, extra_info)
    except AnswerError as exc:
        result = Grade("answer", Status.ERROR, reward_for(Status.ERROR), signals=(Signal("error", str(exc)),))
    else:
        result = _grade_answer(solution_str, task, extra_info or {})
    return {
        "score": result.reward,
        "acc": 1.0 if result.status is Status.RESOLVED else 0.0,
        "status": result.status.value,
        "tamper": result.tamper,
        "signals": ",".join(dict.fromkeys(s.code for s in result.signals)),
        "data_source": data_source,
    }


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[str]) -> list[float]:
    """Score a batch OpenRLHF-style: ``labels`` hold the task folders, ``queries`` prompt plus answer."""
    scores = []
    for query, prompt, label in zip(queries, prompts, labels, strict=True):
        answer = query[len(prompt) :] if query.startswith(prompt) else query
        scores.append(float(compute_score("gtguard", answer, label)["score"]))
    return scores
