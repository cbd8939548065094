"""Map each constraint of a statement to the tests of a task that check it, or say which marker would.

| constraint | checked by |
| --- | --- |
| time complexity | ``perf_gate(complexity=...)`` of the same class or a tighter one |
| space complexity | ``perf_gate(mb=...)`` (a peak at one size: the nearest gtguard check) |
| time limit | ``perf_gate(ms=...)`` no looser than the limit, at ``n`` no smaller than the stated size |
| memory limit | ``perf_gate(mb=...)`` no looser than the limit |
| forbidden import / call | ``forbid_imports`` / ``forbid_calls`` naming it (or a parent package), or the ini key |
| no new dependencies | ``no_new_dependencies``, or the ini key |
| Python version | ``python_syntax`` with that version, or the ini key |
| unchanged signature | a test that calls ``inspect.signature`` on the function (any, for "the public API") |
| thread safety | a test that starts threads or processes (``threading``, ``concurrent.futures``) |

Any constraint is also checked by the tests marked ``@pytest.mark.req(k)`` when requirement ``k`` of the
instance states the same constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Mapping as PyMapping
from pathlib import Path

from pytest_gtguard.constraints.extract import extract
from pytest_gtguard.constraints.model import Constraint, ConstraintCheck, Mapping
from pytest_gtguard.constraints.scan import StaticTest, scan_tests
from pytest_gtguard.task.ini import read_ini

__all__ = ["COMPLEXITY_ORDER", "for_instance", "map_constraints"]

COMPLEXITY_ORDER = ("O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)")
_INI = {
    "forbid_import": "gtguard_forbid_imports",
    "forbid_call": "gtguard_forbid_calls",
    "no_new_dependencies": "gtguard_no_new_dependencies",
    "python_version": "gtguard_python_syntax",
}
_REQ_ID = re.compile(r"\s*(?:req(?:uirement)?|r)?[\s_#-]*(\d+)\b", re.IGNORECASE)


def for_instance(data: PyMapping[str, object], task_dir: Path) -> Mapping:
    """Return the mapping of an instance object's problem_statement to the tests of ``task_dir``.

    The instance's ``requirements`` list (top level, or under ``extra``), when it has one, numbers the
    requirements that ``@pytest.mark.req(N)`` markers point at.
    """
    statement = data.get("problem_statement")
    extra = data.get("extra")
    listed = data.get("requirements")
    if listed is None and isinstance(extra, dict):
        listed = extra.get("requirements")
    requirements = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    found = extract(statement) if isinstance(statement, str) else []
    return map_constraints(found, task_dir, requirements=requirements)


def map_constraints(constraints: Sequence[Constraint], task_dir: Path, *, requirements: Sequence[str] = ()) -> Mapping:
    """Return, for each constraint, the tests of ``task_dir/tests`` that check it (read statically).

    ``requirements`` are the instance's numbered requirements (``"3. Must ..."`` or in list order): a test
    marked ``@pytest.mark.req(3)`` checks every constraint that requirement 3 states.
    """
    tests = scan_tests(task_dir)
    by_req = _requirement_constraints(requirements)
    checks = []
    for constraint in constraints:
        ini_key = _INI.get(constraint.kind)
        ini_value = read_ini(task_dir, ini_key) if ini_key else None
        if ini_value is not None and _ini_covers(constraint, ini_value):
            ids = tuple(t.nodeid for t in tests) or ("(every test)",)
            checks.append(ConstraintCheck(constraint, ids, (f"ini {ini_key}",), _suggest(constraint)))
            continue
        matched: list[str] = []
        via: list[str] = []
        notes: list[str] = []
        rule = _RULES[constraint.kind]
        for test in tests:
            how = rule(constraint, test, notes)
            if how:
                matched.append(test.nodeid)
                via.append(how)
        for test in tests:
            if test.nodeid not in matched and _req_covers(constraint, test, by_req):
                matched.append(test.nodeid)
                via.append("req")
        checks.append(ConstraintCheck(constraint, tuple(matched), tuple(via), _suggest(constraint), tuple(notes)))
    return Mapping(tuple(checks))


def _requirement_constraints(requirements: Sequence[str]) -> dict[int, list[Constraint]]:
    out: dict[int, list[Constraint]] = {}
    for index, text in enumerate(requirements, start=1):
        numbered = re.match(r"\s*(\d+)[.)]\s", text)
        out.setdefault(int(numbered.group(1)) if numbered else index, []).extend(extract(text))
    return out


def _req_covers(constraint: Constraint, test: StaticTest, by_req: dict[int, list[Constraint]]) -> bool:
    for marker in test.marked("req"):
        for arg in marker.args:
            m = _REQ_ID.match(str(arg))
            said = by_req.get(int(m.group(1)), []) if m else []
            if any(c.key == constraint.key or (c.kind == constraint.kind and not constraint.value) for c in said):
                return True
    return False


def _ini_covers(constraint: Constraint, value: str) -> bool:
    if constraint.kind == "no_new_dependencies":
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if constraint.kind == "python_version":
        return value.strip() == constraint.value
    return _names_cover(constraint, value.replace(",", " ").split())


def _names_cover(constraint: Constraint, names: Sequence[object]) -> bool:
    want = constraint.value
    for name in (str(n) for n in names):
        if (
            name == want
            or want.startswith(name + ".")
            or (constraint.kind == "forbid_call" and name.endswith("." + want))
        ):
            return True
    return False


def _perf(test: StaticTest) -> list[dict[str, object]]:
    gates = []
    for marker in test.marked("perf_gate"):
        params = dict(zip(("n", "ms"), marker.args, strict=False))
        params.update(marker.kwargs)
        gates.append(params)
    return gates


def _g(number: float) -> str:
    """Format 1000000.0 as ``1000000`` and 0.5 as ``0.5``."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _time_complexity(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    for gate in _perf(test):
        got = gate.get("complexity")
        if not isinstance(got, str):
            continue
        if c.value not in COMPLEXITY_ORDER:
            notes.append(f"{test.nodeid}: gates {got}; the statement's {c.value} is not a class perf_gate checks")
            return f'perf_gate complexity="{got}"'
        if got in COMPLEXITY_ORDER and COMPLEXITY_ORDER.index(got) <= COMPLEXITY_ORDER.index(c.value):
            return f'perf_gate complexity="{got}"'
        notes.append(f"{test.nodeid}: perf_gate complexity={got!r} is looser than {c.value}")
    return ""


def _limit(name: str) -> Callable[[Constraint, StaticTest, list[str]], str]:
    def rule(c: Constraint, test: StaticTest, notes: list[str]) -> str:
        limit, size = c.number(name), c.number("n")
        for gate in _perf(test):
            budget, n = _number(gate.get(name)), _number(gate.get("n", 1))
            if budget is None or limit is None:
                continue
            if budget <= limit and (size is None or (n or 1) >= size):
                return f"perf_gate {name}={_g(budget)}" + (f" n={_g(n)}" if n else "")
            notes.append(
                f"{test.nodeid}: perf_gate {name}={_g(budget)} at n={_g(n or 1)} does not reach {c.describe()}"
            )
        return ""

    return rule


def _space(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    gates = [g for g in _perf(test) if _number(g.get("mb")) is not None]
    return f"perf_gate mb={gates[0]['mb']}" if gates else ""


def _names(marker: str) -> Callable[[Constraint, StaticTest, list[str]], str]:
    def rule(c: Constraint, test: StaticTest, notes: list[str]) -> str:
        return marker if any(_names_cover(c, m.args) for m in test.marked(marker)) else ""

    return rule


def _no_new_dependencies(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    return "no_new_dependencies" if test.marked("no_new_dependencies") else ""


def _python(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    for marker in test.marked("python_syntax"):
        version = marker.args[0] if marker.args else marker.kwargs.get("version")
        if str(version) == c.value:
            return f'python_syntax("{version}")'
        notes.append(f"{test.nodeid}: python_syntax({version!r}) is not Python {c.value}")
    return ""


def _signature(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    short = c.value.rsplit(".", 1)[-1]
    if test.signature_of and (not c.value or short in test.signature_of or "*" in test.signature_of):
        return "inspect.signature"
    return ""


def _threads(c: Constraint, test: StaticTest, notes: list[str]) -> str:
    return "threads" if test.threads else ""


_RULES: dict[str, Callable[[Constraint, StaticTest, list[str]], str]] = {
    "time_complexity": _time_complexity,
    "space_complexity": _space,
    "time_limit": _limit("ms"),
    "memory_limit": _limit("mb"),
    "forbid_import": _names("forbid_imports"),
    "forbid_call": _names("forbid_calls"),
    "no_new_dependencies": _no_new_dependencies,
    "python_version": _python,
    "signature": _signature,
    "thread_safety": _threads,
}


def _suggest(c: Constraint) -> str:
    """Return the marker (or kind of test) that would check ``c``."""
    n = c.number("n")
    size = _g(n) if n else "<size>"
    if c.kind == "time_complexity":
        cls = c.value if c.value in COMPLEXITY_ORDER else "<nearest of O(1), O(log n), O(n), O(n log n), O(n^2)>"
        return (
            f'@pytest.mark.perf_gate(n=<large size>, ms=<budget>, complexity="{cls}") on a test using the perf fixture'
        )
    if c.kind == "space_complexity":
        return "@pytest.mark.perf_gate(n=<large size>, mb=<peak budget>)"
    if c.kind == "time_limit":
        return f"@pytest.mark.perf_gate(n={size}, ms={_g(c.number('ms') or 0)})"
    if c.kind == "memory_limit":
        return f"@pytest.mark.perf_gate(n=<size>, mb={_g(c.number('mb') or 0)})"
    if c.kind == "forbid_import":
        return f'@pytest.mark.forbid_imports("{c.value}") (or ini gtguard_forbid_imports = {c.value})'
    if c.kind == "forbid_call":
        return f'@pytest.mark.forbid_calls("{c.value}") (or ini gtguard_forbid_calls = {c.value})'
    if c.kind == "no_new_dependencies":
        return "@pytest.mark.no_new_dependencies (or ini gtguard_no_new_dependencies = true)"
    if c.kind == "python_version":
        return f'@pytest.mark.python_syntax("{c.value}") (or ini gtguard_python_syntax = {c.value})'
    if c.kind == "signature":
        target = c.value or "<each public function>"
        return f"a test asserting inspect.signature({target}), marked @pytest.mark.req(<its requirement>)"
    return "a test that calls the code from several threads (threading, concurrent.futures), marked @pytest.mark.req"
