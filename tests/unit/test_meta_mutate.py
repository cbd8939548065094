from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_gtguard.meta import mutate

SOURCE = textwrap.dedent('''\
    """Module docstring."""
    from __future__ import annotations


    def clamp(value: int, low: int = 0, high: int = 10) -> int:
        """Docstring is never mutated."""
        if value < low:
            return low
        if value > high and not False:
            return high
        return value


    class Account:
        def __init__(self) -> None:
            self.balance = 0

        def deposit(self, amount):
            if amount <= 0:
                raise ValueError("must be positive")
            self.balance += amount
            return super().__repr__()

        def window(self, items, start):
            for i in range(len(items)):
                if i > 3:
                    break
            return items[start:start + 2]
    ''')


@pytest.fixture
def source(tmp_path: Path) -> mutate.SourceFile:
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    return mutate.parse_source(path, "mod.py")


def _by_operator(mutants: list[mutate.Mutant]) -> dict[str, list[mutate.Mutant]]:
    out: dict[str, list[mutate.Mutant]] = {}
    for m in mutants:
        out.setdefault(m.operator, []).append(m)
    return out


def test_mutate_covers_every_operator_family(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    families = set(_by_operator(mutants))

    assert families == {
        "comparison",
        "boundary",
        "boolean",
        "return",
        "arithmetic",
        "statement",
        "exception",
        "constant",
        "slice",
        "loop",
    }


def test_mutate_skips_docstrings_defaults_and_annotations(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    lines = {m.line for m in mutants}

    assert 5 not in lines  # def line: defaults and annotations live on the function object
    assert 6 not in lines  # docstring


def test_mutate_boundary_mutants_shift_the_compared_constant(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    boundary = [m.replacement for m in _by_operator(mutants)["boundary"] if m.line == 19]

    assert boundary == ["-1", "1"]


def test_mutate_diff_shows_the_changed_line(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    cmp = next(m for m in mutants if m.operator == "comparison" and m.line == 7)

    assert cmp.diff().splitlines()[2:] == ["@@ -7 +7 @@", "-    if value < low:", "+    if (value <= low):"]


def test_mutate_method_code_keeps_class_cell_for_super(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    deposit = [m for m in mutants if m.site.qualname == "Account.deposit"]

    assert deposit
    assert all(m.code.co_freevars == ("__class__",) for m in deposit)


def test_mutate_ids_are_unique_and_stable(source: mutate.SourceFile) -> None:
    first, _ = mutate.generate([source])
    second, _ = mutate.generate([source])

    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first)


def test_mutate_drops_compiler_equivalent_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "dup.py"
    path.write_text("def f(x):\n    return not not x\n")

    mutants, dropped = mutate.generate([mutate.parse_source(path, "dup.py")])

    assert dropped == 1  # dropping either `not` gives the same code
    assert len([m for m in mutants if m.description == "drop not"]) == 1


@pytest.mark.parametrize("limit", [1, 5, 20], ids=["one", "five", "twenty"])
def test_mutate_sample_is_a_pure_function_of_the_seed(source: mutate.SourceFile, limit: int) -> None:
    mutants, _ = mutate.generate([source])

    first = mutate.sample(mutants, seed=3, limit=limit)
    again = mutate.sample(mutants, seed=3, limit=limit)
    other = mutate.sample(mutants, seed=4, limit=limit)

    assert [m.id for m in first] == [m.id for m in again]
    assert len(first) == limit
    assert [m.id for m in first] == [m.id for m in mutants if m in first]  # generation order kept
    assert limit == 20 or [m.id for m in first] != [m.id for m in other] or limit == 1


def test_mutate_sample_without_limit_keeps_everything(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])

    assert mutate.sample(mutants, seed=0, limit=None) == mutants


def test_mutate_mutated_module_compiles_with_the_mutant(source: mutate.SourceFile) -> None:
    mutants, _ = mutate.generate([source])
    loop = next(m for m in mutants if m.operator == "loop")

    namespace: dict[str, object] = {}
    exec(compile(mutate.mutated_module(loop), "mod.py", "exec"), namespace)

    account = namespace["Account"]()  # type: ignore[operator]
    assert account.window(list(range(10)), 1) == [1, 2]


def test_mutate_skips_lines_with_pragma(tmp_path: Path) -> None:
    path = tmp_path / "p.py"
    path.write_text("def f(x):\n    y = x + 1  # pragma: no mutate\n    return y * 2\n")

    mutants, _ = mutate.generate([mutate.parse_source(path, "p.py")])

    assert {m.line for m in mutants} == {3}


def test_selection_runs_covering_tests_named_after_the_function_first(source: mutate.SourceFile) -> None:
    from pytest_gtguard.meta.selection import tests_for

    mutants, _ = mutate.generate([source])
    m = next(x for x in mutants if x.site.name == "clamp" and x.line == 7)
    covering = {str(source.path.resolve()): {7: {"t.py::test_other", "t.py::test_clamp_low", "t.py::test_x"}}}

    got = tests_for(m, covering, ["t.py::test_x", "t.py::test_other", "t.py::test_unrelated", "t.py::test_clamp_low"])

    assert got == ["t.py::test_clamp_low", "t.py::test_x", "t.py::test_other"]
