"""Precision and recall of pytest_gtguard.constraints.extract against hand labels of real problem statements.

The labels (tests/constraints_labels/labels.jsonl) hold 40 Python tasks of the public task datasets, picked
with random.Random(20) (see tests/constraints_labels/README.md). Each line has the task, a paraphrase of its
problem statement (never the original text) and the constraints a person reads in it. A constraint counts as
found when extract() returns the same kind and value (``time_limit`` ``ms=1,n=...`` must match in full).

Usage: python bench/constraint_mapping.py [--labels PATH] [--json] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pytest_gtguard.constraints import KINDS, extract

LABELS = Path(__file__).resolve().parents[1] / "tests" / "constraints_labels" / "labels.jsonl"


def score(labels: Path) -> dict[str, object]:
    """Return overall and per-kind true/false positives and false negatives, and the mismatching tasks."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[dict[str, object]] = []
    tasks = 0
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        tasks += 1
        got = Counter(c.key for c in extract(row["statement"]))
        want = Counter((c["kind"], c["value"]) for c in row["constraints"])
        for (kind, _), n in (got & want).items():
            tp[kind] += n
        for (kind, _), n in (got - want).items():
            fp[kind] += n
        for (kind, _), n in (want - got).items():
            fn[kind] += n
        if got != want:
            misses.append({"task": row["task"], "extra": sorted(got - want), "missed": sorted(want - got)})
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "tasks": tasks,
        "labelled": total_tp + total_fn,
        "precision": total_tp / (total_tp + total_fp) if total_tp + total_fp else 1.0,
        "recall": total_tp / (total_tp + total_fn) if total_tp + total_fn else 1.0,
        "per_kind": {k: {"tp": tp[k], "fp": fp[k], "fn": fn[k]} for k in KINDS if tp[k] or fp[k] or fn[k]},
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help="Labels file (JSON lines)")
    parser.add_argument("--json", action="store_true", help="Print the scores as JSON")
    parser.add_argument("--verbose", action="store_true", help="List each task where extract() disagrees")
    args = parser.parse_args(argv)
    result = score(args.labels)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['tasks']} tasks, {result['labelled']} labelled constraints")
    print(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}")
    per_kind = result["per_kind"]
    assert isinstance(per_kind, dict)
    print(f"{'kind':<22}{'tp':>4}{'fp':>4}{'fn':>4}")
    for kind, c in per_kind.items():
        print(f"{kind:<22}{c['tp']:>4}{c['fp']:>4}{c['fn']:>4}")
    if args.verbose:
        misses = result["misses"]
        assert isinstance(misses, list)
        for miss in misses:
            print(f"  {miss['task']}: extra {miss['extra']} missed {miss['missed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
