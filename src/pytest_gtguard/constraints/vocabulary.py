"""Word lists for reading constraints: which names are modules, which are calls, which need a qualifier."""

from __future__ import annotations

import builtins
import sys

__all__ = ["ALIASES", "AMBIGUOUS", "CALLS", "MODULES", "resolve_name"]

# Third-party packages prompts commonly ban, by import name.
_THIRD_PARTY = {
    "numpy", "pandas", "scipy", "sklearn", "torch", "tensorflow", "keras", "jax", "cupy", "numba", "polars",
    "requests", "httpx", "aiohttp", "urllib3", "flask", "django", "fastapi", "sqlalchemy", "pydantic", "attrs",
    "redis", "celery", "boto3", "matplotlib", "networkx", "sympy", "regex", "lxml", "bs4", "yaml", "ujson",
    "orjson", "tqdm", "cython", "numexpr", "dask", "pyspark", "sortedcontainers", "more_itertools", "toolz",
}  # fmt: skip
# Spellings people write for an import name.
ALIASES = {
    "scikit-learn": "sklearn",
    "scikit learn": "sklearn",
    "pytorch": "torch",
    "beautifulsoup": "bs4",
    "beautiful soup": "bs4",
    "pyyaml": "yaml",
    "regular expressions": "re",
    "regular expression": "re",
    "regexes": "re",
    "regexps": "re",
    "regexp": "re",
    "regex": "re",  # in prose "regex" means regular expressions; the `regex` package is named with backticks
    "sorting built-ins": "sorted",
    "the built-in sort": "sorted",
    "built-in sort": "sorted",
    ".sort()": "list.sort",
    "sort()": "list.sort",
}
MODULES = frozenset(getattr(sys, "stdlib_module_names", ())) | _THIRD_PARTY
# Stdlib modules and builtins whose names are everyday words: named only with a qualifier
# ("the time module", "`random`", "copy()", "import json").
AMBIGUOUS = frozenset(
    {
        "abc", "array", "audit", "calendar", "cmd", "code", "copy", "csv", "decimal", "email", "enum", "fractions",
        "glob", "html", "http", "inspect", "io", "json", "keyword", "locale", "logging", "math", "numbers",
        "operator", "platform", "profile", "queue", "random", "resource", "sched", "secrets", "select", "shelve",
        "signal", "site", "stat", "statistics", "string", "struct", "test", "this", "time", "token", "trace",
        "types", "warnings", "wave", "all", "any", "filter", "format", "input", "iter", "map", "max", "min", "next",
        "open", "print", "range", "round", "set", "slice", "sum", "type", "vars", "zip", "hash", "id", "len",
        "list", "dict", "object", "property", "super", "compile", "help", "exit", "quit", "bool", "int", "float",
        "str", "tuple", "bytes", "abs", "pow", "dir", "license", "copyright", "credits", "complex", "callable",
        "divmod", "memoryview", "frozenset", "bytearray", "ascii", "bin", "hex", "oct", "chr", "ord",
    }
)  # fmt: skip
CALLS = frozenset(name for name in dir(builtins) if not name.startswith("_") and name[0].islower()) | {
    "__import__",
    "list.sort",
    "os.system",
    "subprocess.run",
    "pickle.loads",
}


def resolve_name(raw: str) -> tuple[str, str] | None:
    """Return ``("forbid_import"|"forbid_call", name)`` for a library or call named in prose, else None.

    ``raw`` is the phrase as written (``"NumPy"``, ``"`eval()`"``, ``"the re module"``, ``"sorted()"``).
    An everyday word that is also a module or builtin (``time``, ``any``, ``input``) counts only when the
    phrase qualifies it: backticks, ``()``, ``module``/``library``/``package``/``function``, ``built-in``.
    """
    text = raw.replace("\u2019", "'").strip().strip(".,;:!?").lower()
    qualified = any(q in text for q in ("`", "()", " module", " library", " package", " function", "built-in"))
    if text in ALIASES:
        name = ALIASES[text]
    else:
        name = text.replace("`", "").replace("'", "").replace('"', "")
        for noise in ("the ", "python's ", "built-in ", "builtin ", "python "):
            name = name.removeprefix(noise)
        for noise in (" module", " library", " package", " function", " method", " call", " calls", " builtin"):
            name = name.removesuffix(noise)
        name = ALIASES.get(name.strip(), name.strip())
    call = name.endswith("()")
    name = name.removesuffix("()").strip()
    if name.startswith("."):
        name = "list" + name if name == ".sort" else name[1:]
    if not name or (name in AMBIGUOUS and not qualified):
        return None
    if "." in name and name not in MODULES:
        head = name.split(".", 1)[0]
        return ("forbid_call", name) if head in MODULES or head in {"list", "str", "dict", "set"} else None
    if name in MODULES and not call:
        return ("forbid_import", name)
    if name in CALLS:
        return ("forbid_call", name)
    return None
