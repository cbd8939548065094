"""`gtguard batch` on the local engine, end to end: a generated dataset, resume, faults, requirements, dashboard."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from pytest_gtguard.batch import LocalEngine, Progress, ResultStore, discover, read_records, run_batch
from pytest_gtguard.batch.envs import EnvCache
from pytest_gtguard.batch.outcome import record_from_answer
from pytest_gtguard.batch.zygote import Zygote

ROOT = Path(__file__).parents[1]
SPLIT_FAST = ["--", "--gtguard-runs", "1", "--gtguard-jobs", "1"]


def make_dataset(out: Path, n: int, *faults: str) -> Path:
    args = [sys.executable, str(ROOT / "bench" / "make_dataset.py"), str(out), "-n", str(n)]
    subprocess.run([*args, *(["--faults"] if faults else [])], check=True, capture_output=True)
    return out


def batch(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_gtguard.cli", "batch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
        check=False,
    )


def processes_marked(mark: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if mark.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("batch") / "ds", 12)


def test_batch_validate_records_one_verdict_per_task_and_a_rerun_skips_them(dataset: Path, tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    proc = batch("validate", str(dataset), "--results", str(results), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = list(read_records(results))
    assert len(records) == 12 and {r["status"] for r in records} == {"ok"}
    verdicts = {Path(r["task"]).name.split("-", 1)[1]: r["verdict"] for r in records}
    assert verdicts["bugfix-ok"] == "clean" and verdicts["perf-stale-lists"] == "findings"
    assert any(p.startswith("GT102") for r in records for p in r["problems"])  # bad-json task
    assert "12 run, 0 already" in proc.stdout and (tmp_path / "r.html").is_file()

    again = batch("validate", str(dataset), "--results", str(results), cwd=tmp_path)
    assert "0 run, 12 already in the results file" in again.stdout
    assert len(list(read_records(results))) == 12

    forced = batch("validate", str(dataset), "--results", str(results), "--force", "--no-html", cwd=tmp_path)
    assert "12 run" in forced.stdout and len(list(read_records(results))) == 24


def test_batch_default_results_file_is_under_the_current_folder_not_the_dataset(dataset: Path, tmp_path: Path) -> None:
    proc = batch("validate", str(dataset), "--no-html", "--", "--ignore", "GT106", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = list(read_records(tmp_path / "gtguard-batch" / "ds-validate.jsonl"))
    assert len(records) == 12 and not any(p.startswith("GT106") for r in records for p in r["problems"])
    assert records[0]["options"] == ["--ignore", "GT106"]
    assert not list(dataset.glob("*.jsonl"))


def test_batch_kill_9_midway_then_rerun_finishes_without_redoing_finished_items(dataset: Path, tmp_path: Path) -> None:
    results, mark = tmp_path / "r.jsonl", f"GTGUARD_TEST_MARK={uuid.uuid4().hex}"
    cmd = [sys.executable, "-m", "pytest_gtguard.cli", "batch", "split", str(dataset), "--results", str(results)]
    env = {**os.environ, mark.split("=")[0]: mark.split("=")[1]}
    proc = subprocess.Popen([*cmd, "--jobs", "1", *SPLIT_FAST], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(read_records(results))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = [r["fingerprint"] for r in read_records(results)]
    assert 2 <= len(finished) < 12
    with results.open("ab") as handle:  # what a kill during a write leaves: half a line
        handle.write(b'{"fingerprint": "half')
    deadline = time.monotonic() + 10
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_marked(mark) == []  # the zygotes saw their pipe close and killed their items

    rerun = batch("split", str(dataset), "--results", str(results), "--no-html", *SPLIT_FAST, cwd=tmp_path)
    assert "cut off a half-written last line" in rerun.stderr
    assert f"{12 - len(finished)} run, {len(finished)} already in the results file" in rerun.stdout
    fingerprints = [r["fingerprint"] for r in read_records(results)]
    assert len(fingerprints) == len(set(fingerprints)) == 12
    assert results.read_bytes().endswith(b"\n")


def test_batch_hanging_item_is_killed_at_the_timeout_and_leaves_no_process(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "ds", 0, "faults")
    mark = uuid.uuid4().hex
    proc = batch(
        "split",
        str(dataset),
        "--timeout",
        "15",
        "--results",
        str(tmp_path / "r.jsonl"),
        *SPLIT_FAST,
        cwd=tmp_path,
        env={"GTGUARD_TEST_MARK": mark},
    )
    assert proc.returncode == 1  # an item did not run to its verdict
    records = {Path(r["task"]).name.split("-", 2)[2]: r for r in read_records(tmp_path / "r.jsonl")}
    assert records["hang"]["status"] == "timeout" and records["hang"]["verdict"] is None
    assert records["crash"]["status"] == "ok" and records["crash"]["verdict"] == "crashed"
    assert "status: 1 ok, 1 timeout" in proc.stdout
    assert processes_marked(mark) == []


def test_zygote_item_killed_by_a_signal_is_one_crashed_record_and_its_orphans_are_killed(tmp_path: Path) -> None:
    stray = tmp_path / "stray.pid"
    script = (
        "import os, subprocess, signal;"
        f"p = subprocess.Popen(['sleep', '300'], start_new_session=True); open({str(stray)!r}, 'w').write(str(p.pid));"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    zygote = Zygote()
    try:
        answer = zygote.run({"argv": ["{python}", "-c", script], "mode": "exec", "timeout": 30})
        second = zygote.run({"argv": ["validate", str(tmp_path / "missing"), "--json"], "timeout": 30})
    finally:
        zygote.close()
    assert answer["returncode"] == -signal.SIGKILL
    assert not Path(f"/proc/{stray.read_text()}").exists()  # reparented to the zygote, killed with the item
    item = discover(make_dataset(tmp_path / "ds", 1), "validate")[0]
    assert record_from_answer(item, answer)["status"] == "crashed"
    assert second["returncode"] == 4 and record_from_answer(item, second)["status"] == "error"


def test_zygote_item_out_of_memory_is_a_failed_record_and_the_zygote_serves_the_next(tmp_path: Path) -> None:
    zygote = Zygote()
    try:
        hog = zygote.run({"argv": ["{python}", "-c", "x = bytearray(4 << 30)"], "mode": "exec", "memory_mb": 1024})
        after = zygote.run({"argv": ["validate", str(tmp_path / "missing"), "--json"], "timeout": 30})
    finally:
        zygote.close()
    item = discover(make_dataset(tmp_path / "ds", 1), "validate")[0]
    assert hog["returncode"] == 1 and "MemoryError" in hog["stderr"]
    assert record_from_answer(item, hog)["status"] == "crashed"
    assert after["returncode"] == 4


def _wheel(folder: Path, name: str) -> Path:
    """A pure-Python wheel built by hand (installable offline, with no build backend)."""
    path = folder / f"{name}-1.0-py3-none-any.whl"
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(n, text)
    path.write_bytes(buffer.getvalue())
    return path


def test_batch_builds_one_environment_per_requirement_set_and_reports_uninstallable_ones(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "ds", 3)
    wheel = _wheel(tmp_path, "gtguardbatchdep")
    tasks = sorted(p for p in dataset.iterdir() if p.is_dir())
    for task in tasks[:2]:  # two tasks, one requirement set: one environment
        (task / "requirements.txt").write_text(f"{wheel}\n")
        test = next((task / "tests").glob("test_*.py"))
        test.write_text(
            test.read_text()
            + "\n\ndef test_dep():\n    import gtguardbatchdep\n    assert gtguardbatchdep.VALUE == 42\n"
        )
        instance = json.loads((task / "instances" / "instance.json").read_text())
        instance["PASS_TO_PASS"].append(f"tests/{test.name}::test_dep")
        (task / "instances" / "instance.json").write_text(json.dumps(instance))
    (tasks[2] / "requirements.txt").write_text("no-such-package-gtguard-batch==0.0.1\n")
    proc = batch(
        "split",
        str(dataset),
        "--env-cache",
        str(tmp_path / "envs"),
        "--results",
        str(tmp_path / "r.jsonl"),
        *SPLIT_FAST,
        cwd=tmp_path,
        env={"PIP_NO_INDEX": "1"},
    )
    records = {Path(r["task"]).name: r for r in read_records(tmp_path / "r.jsonl")}
    assert [records[t.name]["status"] for t in tasks] == ["ok", "ok", "requirements_failed"], proc.stdout
    assert records[tasks[0].name]["verdict"] == "valid"  # test_dep passed on both sides: the wheel was there
    assert "no-such-package-gtguard-batch" in records[tasks[2].name]["problems"][0]
    assert len([p for p in (tmp_path / "envs").iterdir() if (p / "ready").is_file()]) == 1


def test_batch_grade_manifest_rewards_each_candidate(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "ds", 1)
    manifest = tmp_path / "ds-grade.jsonl"
    proc = batch(
        "grade",
        str(manifest),
        "--results",
        str(tmp_path / "r.jsonl"),
        "--",
        "--isolation",
        "process",
        cwd=tmp_path,
        env={"GTGUARD_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rewards = {Path(r["candidate"]).name: (r["verdict"], r["reward"]) for r in read_records(tmp_path / "r.jsonl")}
    assert rewards["good"] == ("resolved", 1.0) and rewards["bad"][0] == "unresolved"
    assert next(v for k, v in rewards.items() if k.endswith(".patch")) == ("resolved", 1.0)
    html = (tmp_path / "r.html").read_text()
    assert "Reward distribution per task" in html and dataset.exists()


def test_batch_usage_errors_are_one_line_and_exit_4(dataset: Path, tmp_path: Path) -> None:
    cases = [
        (["validate", str(tmp_path / "nowhere")], "no such folder or manifest"),
        (["grade", str(dataset)], "needs the candidates of each task"),
        (["validate", str(dataset), "--", "--json"], "the batch sets this for each item"),
        (["validate", str(dataset), "--", "--no-such-option"], "unrecognized arguments"),
    ]
    for args, message in cases:
        proc = batch(*args, cwd=tmp_path)
        assert proc.returncode == 4 and message in proc.stderr and "Traceback" not in proc.stderr, args


def test_batch_ctrl_c_keeps_finished_records_and_leaves_no_process(dataset: Path, tmp_path: Path) -> None:
    results, mark = tmp_path / "r.jsonl", uuid.uuid4().hex
    cmd = [sys.executable, "-m", "pytest_gtguard.cli", "batch", "split", str(dataset), "--results", str(results)]
    proc = subprocess.Popen(
        [*cmd, *SPLIT_FAST],
        cwd=tmp_path,
        env={**os.environ, "GTGUARD_TEST_MARK": mark},
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(read_records(results)) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "interrupted" in out
    assert 1 <= len(list(read_records(results))) < 12
    assert processes_marked(mark) == []


def test_api_streams_records_to_the_store_as_they_finish(dataset: Path, tmp_path: Path) -> None:
    items = discover(dataset, "validate")
    seen = []
    with ResultStore(tmp_path / "r.jsonl") as store:
        for record in run_batch(items[:3], LocalEngine(jobs=2, envs=EnvCache(tmp_path)), store):
            seen.append(record["fingerprint"])
            assert record["fingerprint"] in {r["fingerprint"] for r in read_records(tmp_path / "r.jsonl")}
    assert len(seen) == 3


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    record = {"status": "ok", "verdict": "clean", "task": "/d/t1", "duration": 0.5}
    bar, plain = io.StringIO(), io.StringIO()
    Progress(2, bar, tty=True).update(record)
    Progress(2, plain, tty=False).update(record)
    assert bar.getvalue().startswith("\rgtguard batch [") and "1/2" in bar.getvalue() and "ETA" in bar.getvalue()
    assert plain.getvalue() == "[1/2] ok clean /d/t1 (0.5s)\n"


def test_results_file_half_written_last_line_is_ignored_and_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"fingerprint": "a", "status": "ok"}\n{"fingerprint": "b", "sta')
    assert [r["fingerprint"] for r in read_records(path)] == ["a"]
    with ResultStore(path) as store:
        assert store.repaired == len(b'{"fingerprint": "b", "sta') and set(store.done) == {"a"}
        store.append({"fingerprint": "c"})
    assert path.read_bytes() == b'{"fingerprint": "a", "status": "ok"}\n{"fingerprint": "c"}\n'


def test_dashboard_shows_totals_categories_problems_and_slowest(dataset: Path, tmp_path: Path) -> None:
    batch(
        "validate",
        str(dataset),
        "--results",
        str(tmp_path / "r.jsonl"),
        "--html",
        str(tmp_path / "d.html"),
        cwd=tmp_path,
    )
    html = (tmp_path / "d.html").read_text()
    for part in ("By category", "Most common problems", "Slowest items", "GT106", "bugfix", "performance"):
        assert part in html, part
    assert "<script" not in html and not list(tmp_path.glob(".d.html.*"))


def test_dashboard_counts_each_item_once_and_each_problem_once_per_item() -> None:
    # Found on a real dataset: a task whose tests write into it is run again under a new fingerprint,
    # and one item may carry several messages of one code (GT103 for each missing key).
    from pytest_gtguard.batch.dashboard import render_dashboard

    def record(task: str, fingerprint: str, status: str, problems: list[str]) -> dict[str, object]:
        return {
            "operation": "split",
            "task": task,
            "candidate": None,
            "options": [],
            "fingerprint": fingerprint,
            "status": status,
            "verdict": "valid" if status == "ok" else None,
            "problems": problems,
            "duration": 1.0,
        }

    html = render_dashboard(
        [
            record("/d/aaaaaa-old", "f1", "timeout", []),
            record("/d/bbbbbb-two", "f2", "ok", ["GT103: FAIL_TO_PASS is missing", "GT103: PASS_TO_PASS is missing"]),
            record("/d/aaaaaa-old", "f3", "ok", ["GT103: FAIL_TO_PASS is missing"]),  # rerun after its files changed
        ],
        title="t",
    )

    assert "timeout" not in html  # the old record of the rerun item is gone
    row = html.split("<code>GT103</code>", 1)[1].split("</tr>", 1)[0]
    assert "<td class=n>2</td>" in row  # two items, not three messages
    assert "GT103: FAIL_TO_PASS is missing" in row  # the commonest message is the example


def test_batch_after_a_gtguard_upgrade_runs_every_item_again(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytest_gtguard

    results = tmp_path / "r.jsonl"

    def run_two() -> int:
        with ResultStore(results) as store:
            engine = LocalEngine(jobs=1, envs=EnvCache(tmp_path))
            return len(list(run_batch(discover(dataset, "validate")[:2], engine, store)))

    assert run_two() == 2
    assert run_two() == 0  # the same gtguard: nothing to redo
    monkeypatch.setattr(pytest_gtguard, "__version__", "99.0.0")
    assert run_two() == 2  # a newer judge grades again
    assert len(list(read_records(results))) == 4
