"""From an item to the request a zygote runs, and from the zygote's answer to the item's result record.

Each operation runs the single-task command with its machine-readable output (``--json``, or the
report file), so a batch gives exactly what the command gives one task at a time.

Record ``status``: ``ok`` (the operation ran and gave its verdict), ``error`` (the command refused the
item: bad input, no sandbox, an ungradable task), ``crashed`` (killed by a signal, out of memory, an
internal error, or output that is not the command's), ``timeout``, ``requirements_failed`` (the task's
requirements could not be installed), ``lost`` (its worker or node died twice).
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Mapping
from typing import Any

from pytest_gtguard import __version__
from pytest_gtguard.batch.items import Item
from pytest_gtguard.batch.store import RECORD_SCHEMA

__all__ = ["STATUSES", "failed_record", "record_from_answer", "request_for"]

STATUSES = ("ok", "error", "crashed", "timeout", "requirements_failed", "lost")
_VALIDATE = {0: "clean", 1: "findings", 6: "todo"}
_SPLIT = {0: "valid", 1: "invalid", 3: "crashed", 5: "no-tests"}
_PROBLEMS_KEPT = 20


def request_for(item: Item, *, timeout: float | None, memory_mb: int | None) -> dict[str, Any]:
    """Return the zygote request that runs ``item``."""
    task, opts = str(item.task), list(item.options)
    mode, cwd, read = "cli", None, []
    if item.operation == "validate":
        argv = ["validate", task, "--json", *opts]
    elif item.operation == "split":
        argv, read = ["split", task, "--gtguard-report", "{tmp}/report.json", *opts], ["report.json"]
    elif item.operation == "grade":
        argv = ["grade", task, str(item.candidate), "--json", *opts]
    elif item.operation == "calibrate":
        argv = ["calibrate", task, "--attempts", str(item.candidate), "--json", *opts]
    else:  # meta: the pytest run, in the task, with its report in the item's private folder
        argv = ["{python}", "-m", "pytest", "-p", "no:cacheprovider", "--meta", "--gtguard-meta-report", "{tmp}/meta"]
        mode, cwd, read = "exec", task, ["meta/mutation-report.json"]
        argv += opts
    return {"argv": argv, "mode": mode, "cwd": cwd, "read": read, "timeout": timeout, "memory_mb": memory_mb}


def _base(item: Item, status: str, duration: float) -> dict[str, Any]:
    return {
        "schema": RECORD_SCHEMA,
        **item.to_json(),
        "status": status,
        "verdict": None,
        "reward": None,
        "problems": [],
        "exit_code": None,
        "duration": round(duration, 3),
        "gtguard": __version__,
    }


def failed_record(item: Item, status: str, detail: str, *, duration: float = 0.0) -> dict[str, Any]:
    """Return the record of an item that did not run to its verdict."""
    record = _base(item, status, duration)
    record["problems"] = [f"{status}: {detail}"]
    return record


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    return re.sub(r"^gtguard \w+: error: ", "", last)[:300]


def record_from_answer(item: Item, answer: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a zygote's answer into the item's record."""
    code = int(answer["returncode"])
    duration = float(answer["duration"])
    stderr = str(answer.get("stderr", ""))
    if answer.get("timed_out"):
        return failed_record(item, "timeout", "the item ran past --timeout and was killed", duration=duration)
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = "out of memory or " if -code == signal.SIGKILL else ""
        record = failed_record(item, "crashed", f"{why}killed by {name}", duration=duration)
        record["exit_code"] = code
        return record
    try:
        record = _parse(item, code, answer)
    except (ValueError, KeyError, TypeError, IndexError):
        detail = _last_line(stderr) or f"exit status {code} and no result"
        record = failed_record(item, "error" if code in (4, 7) else "crashed", detail, duration=duration)
    record["exit_code"] = code
    record["duration"] = round(duration, 3)
    return record


def _parse(item: Item, code: int, answer: Mapping[str, Any]) -> dict[str, Any]:
    record = _base(item, "ok", 0.0)
    out = str(answer.get("stdout", ""))
    files = answer.get("files") or {}
    if item.operation == "validate":
        data = json.loads(out)
        record["verdict"] = _VALIDATE.get(code, f"exit-{code}")
        record["problems"] = [f"{f['code']}: {f['reason']}" for f in data["findings"]][:_PROBLEMS_KEPT]
    elif item.operation == "split":
        if code == 4 or not files.get("report.json"):
            raise ValueError("no report")
        data = json.loads(files["report.json"])
        record["verdict"] = _SPLIT.get(code, f"exit-{code}")
        record["problems"] = [f"{p['code']}: {p['message']}" for p in data.get("problems", [])][:_PROBLEMS_KEPT]
        record["detail"] = {k: len(v) for k, v in data.get("split", {}).items() if isinstance(v, (list, dict))}
    elif item.operation == "grade":
        data = json.loads(out.strip().splitlines()[-1])
        record["verdict"], record["reward"] = data["status"], data["reward"]
        record["problems"] = [f"{s['code']}: {s['detail']}" for s in data["signals"] if s["code"] != "weak-isolation"]
        record["problems"] = record["problems"][:_PROBLEMS_KEPT]
    elif item.operation == "calibrate":
        data = json.loads(out)
        record["verdict"] = data["verdict"]
        n = data["target_attempts"]
        record["reward"] = round(data["target_passed"] / n, 4) if n else None
        record["detail"] = {"pass_at_k": data["pass_at_k"], "passed": data["target_passed"], "attempts": n}
    else:
        data = json.loads(files["meta/mutation-report.json"])
        record["verdict"] = "passed" if code == 0 else "failed"
        record["reward"] = data.get("score", data.get("mutation_score"))
    return record
