"""Read the checkable constraints of a problem statement with rules (no model, no network).

Each rule reads one kind of constraint. A number is a constraint only where the sentence asks for it
("must run in O(n log n)", "under 200 ms", "a 512MB device"), not where it describes the problem being fixed
("suffers from O(n) memory growth", "an O(n^2) brute force is too slow", "memory spikes to 2GB").
"""

from __future__ import annotations

import re

from pytest_gtguard.constraints.model import Constraint, Kind
from pytest_gtguard.constraints.vocabulary import resolve_name

__all__ = ["extract"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'`(])|\n+")
_CLAUSE_END = re.compile(r"[;:!?]|\.(?:\s|$)")
# Words that make a number describe today's problem rather than the wanted result.
_PROBLEM = re.compile(
    r"\b(?:suffers?|suffering|currently|current|existing|legacy|old|naive|brute[- ]?force|too slow|is slow|"
    r"bottleneck|spikes?|grows?|growth|takes|took|taking|causing|causes|leads? to|leading to|instead of|"
    r"rather than|was|were|used to|degrad\w*|exceed(?:s|ing)|fails?|failures?|timeouts?|time out|replac\w*|"
    r"eliminat\w*|remov\w*|from|bottlenecks?|unnecessar\w*|introduc\w*|linear scan)\b",
    re.IGNORECASE,
)
# Words after a problem cue that turn to the wanted result: "replace X with Y", "from X to Y".
_TARGET = re.compile(r"\b(?:with|to|into|achiev\w*|must|should|target\w*|requir\w*)\b", re.IGNORECASE)
_NUM = r"(?:\d{1,3}(?:[,_ ]\d{3})+|\d+(?:\.\d+)?(?:\s*(?:\^|\*\*)\s*\d+|e\d+)?)(?:\s*(?:k|m|million|thousand)\b)?"
_COMPLEXITY = re.compile(r"\bO\(\s*((?:[^()]|\([^()]*\))+?)\s*\)")
_DURATION = re.compile(
    r"(?P<cue>\b(?:under|within|below|less than|fewer than|at most|no more than|no longer than|not exceed(?:ing)?|"
    r"max(?:imum)?(?: of)?|in under|in less than|faster than)\s+|<=?\s*|≤\s*)"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|msec|milliseconds?|µs|us|microseconds?|s|secs?|seconds?|min|minutes?)\b",
    re.IGNORECASE,
)
_SUB_MS = re.compile(r"\bsub-?\s?millisecond\b", re.IGNORECASE)
_THROUGHPUT = re.compile(
    rf"(?P<num>{_NUM})\+?\s+(?:[a-z-]+\s+){{0,2}}?(?:(?:per|a|each|every)\s+(?:second|sec)|/\s*(?:second|sec|s))\b",
    re.IGNORECASE,
)
_SIZE_AFTER = re.compile(
    rf"^\W*(?:for|on|with|at|over|given|processing|handling|of)\s+(?:an?\s+)?(?:input\s+of\s+)?(?:up to\s+)?"
    rf"(?:n\s*=\s*)?(?P<num>{_NUM})",
    re.IGNORECASE,
)
_SIZE_BEFORE = re.compile(
    rf"\b(?:for|on|with|processing|handling|sorting|of|sorts?|process(?:es)?|handles?|parses?)\s+(?:up to\s+)?"
    rf"(?:n\s*=\s*)?(?P<num>{_NUM})\s*(?:[a-z-]+\s+){{0,2}}(?:in\s+)?$",
    re.IGNORECASE,
)
_MEMORY = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]i?B|kilobytes?|megabytes?|gigabytes?)(?![a-z])", re.IGNORECASE
)
_MEMORY_CUE_BEFORE = re.compile(
    r"\b(?:under|within|below|less than|at most|no more than|not exceed(?:ing)?|limit(?:ed)? (?:of|to)|max(?:imum)?|"
    r"budget of|only|fit(?:s)? (?:in|into|within)|<=?|≤|a|an)\s*$",
    re.IGNORECASE,
)
_MEMORY_CUE_AFTER = re.compile(
    r"^[\s-]*(?:of\s+)?(?:ram|memory|device|limit|budget|machine|container|box|heap)\b", re.I
)
_NEGATION = re.compile(
    r"\b(?:do not|don't|does not|must not|should not|may not|cannot|can't|never|without|no|not|avoid(?:ing)?|"
    r"forbid(?:den)?|ban(?:ned)?|prohibit(?:ed)?|disallow(?:ed)?|instead of|rather than|nor)\s+"
    r"(?:(?:use|using|call|calling|import|importing|rely(?:ing)?\s+on|depend(?:ing)?\s+on|any|the|a|an|of|"
    r"python's|built-?in|third-party)\s+)*"
    r"(?P<names>[`'\"]?[\w.()-]+[`'\"]?(?:\s+(?:module|library|package|function|calls?|method|expressions?))?"
    r"(?:\s*(?:,|/|\bor\b|\band\b|\bnor\b)\s*(?!(?:do|does|not|must|should|never|no|without)\b)(?:the\s+)?"
    r"[`'\"]?[\w.()-]+[`'\"]?"
    r"(?:\s+(?:module|library|package|function|calls?|method|expressions?))?){0,5})",
    re.IGNORECASE,
)
_NO_NEW_DEPS = re.compile(
    r"\b(?:only|just|solely)\s+(?:use\s+|using\s+)?(?:the\s+)?(?:python(?:['\u2019]s)?\s+)?standard[- ]library|"
    r"\bstandard[- ]library\s+only\b|"
    r"\b(?:no|without|not|avoid(?:ing)?|never)\s+(?:(?:relying on|using|depending on|adding|introducing|installing|"
    r"requiring|any|new|extra|additional|external|third[- ]party)\s+)*(?:new|extra|additional|external|third[- ]party)"
    r"\s+(?:[\w-]+\s+)?(?:libraries|library|packages|package|dependencies|dependency|modules)\b|"
    r"\b(?:do not|don't|must not|should not|cannot|without)\s+(?:add|adding|introduce|introducing|install|installing)"
    r"\s+(?:any\s+)?(?:new\s+|extra\s+|additional\s+|third[- ]party\s+|external\s+)*"
    r"(?:dependencies|packages|libraries|requirements)\b|"
    r"\bno\s+(?:new\s+)?(?:dependencies|requirements)\s+(?:may|must|should|can)\s+be\s+added\b",
    re.IGNORECASE,
)
_PYTHON = re.compile(r"\bpython\s*(?:version\s*)?(?:>=|≥|=>|v)?\s*(?P<v>[23]\.\d{1,2})(?!\.\d)\+?", re.IGNORECASE)


def _name(group: str) -> str:
    return (
        rf"(?:\s+(?:of|for)\s+(?:the\s+)?(?:function\s+|method\s+|class\s+)?(?P<{group}>`?[A-Za-z_][\w.]*`?(?:\(\))?))?"
    )


_SIGNATURE = re.compile(
    r"\b(?:do not|don't|must not|should not|without|never|no|not)\s+(?:be\s+)?(?:chang|modif|alter|break|renam)\w*\s+"
    r"(?:the\s+|its\s+|their\s+|any\s+|existing\s+|public\s+|original\s+|function\s+|method\s+)*"
    rf"(?:signatures?|apis?|interfaces?){_name('name')}|"
    r"\b(?:keep|keeping|preserve|preserving|maintain|maintaining|retain|retaining)\s+"
    r"(?:the\s+|its\s+|their\s+|all\s+|existing\s+|public\s+|original\s+|same\s+|current\s+|function\s+|method\s+)*"
    rf"(?:signatures?|apis?|interfaces?){_name('name1')}|"
    r"\b(?:signatures?|apis?|interfaces?)\s+(?:of\s+(?P<name2>`?[A-Za-z_][\w.]*`?(?:\(\))?)\s+)?"
    r"(?:must|should|has to|have to)\s+(?:stay|remain|be kept|be preserved)|"
    r"\bbackwards?[- ]compatib\w*",
    re.IGNORECASE,
)
_THREADS = re.compile(
    r"\bthread[- ]?safe\w*|\bthread[- ]safety\b|\brace[- ]conditions?\b|\bdata[- ]races?\b|\bdeadlocks?\b|"
    r"\brac(?:e|es|ing)\s+(?:each other|one another|with)\b|"
    r"\bconcurrent(?:ly)?\s+(?:access|use|usage|callers|threads|increments?|updates|writes|calls|modifications?)\b|"
    r"\b(?:arrive|arriving|run|running|called|accessed|used|executing)\s+concurrently\b|"
    r"\bunder\s+(?:heavy\s+|high\s+)?concurren(?:cy|t\s+(?:load|access|use))\b|"
    r"\b(?:many|multiple|several|parallel|concurrent|\d+|two|ten|twenty|fifty|hundred|hundreds of|thousands of)\s+"
    r"threads\b|\bconcurrency[- ]safe\w*|\bhandles? concurrency\b|\bmulti-?thread(?:ed|ing)? (?:access|use|safe\w*)",
    re.IGNORECASE,
)
_CLASSES = {"1": "O(1)", "log n": "O(log n)", "n": "O(n)", "n log n": "O(n log n)", "n^2": "O(n^2)"}


def extract(statement: str) -> list[Constraint]:
    """Return the constraints of ``statement``, in the order they appear, each once.

    >>> [c.describe() for c in extract("Sort 10^6 items in under 0.2 s without numpy.")]
    ['time limit 200 ms at n=1000000', 'forbid import numpy']
    """
    found: list[tuple[int, Constraint]] = []
    offset = 0
    for sentence in _SENTENCE.split(statement):
        start = statement.find(sentence, offset)
        offset = max(start, 0) + len(sentence)
        found += [(start + pos, c) for pos, c in _read_sentence(sentence)]
    seen: set[tuple[str, str]] = set()
    out: list[Constraint] = []
    for _, constraint in sorted(found, key=lambda item: item[0]):
        if constraint.key not in seen:
            seen.add(constraint.key)
            out.append(constraint)
    return out


def _read_sentence(sentence: str) -> list[tuple[int, Constraint]]:
    found: list[tuple[int, Constraint]] = []
    for m in _COMPLEXITY.finditer(sentence):
        if not _describes_problem(sentence, m.start(), m.end()):
            kind: Kind = "space_complexity" if _about_space(sentence, m.start(), m.end()) else "time_complexity"
            found.append((m.start(), Constraint(kind, _complexity(m.group(1)), m.group(0))))
    for m in _DURATION.finditer(sentence):
        if not _describes_problem(sentence, m.start(), m.end()):
            ms = _milliseconds(float(m.group("num")), m.group("unit"))
            size = _size_near(sentence, m.start(), m.end())
            value = f"ms={_fmt(ms)}" + (f",n={size}" if size else "")
            found.append((m.start(), Constraint("time_limit", value, m.group(0).strip())))
    for m in _SUB_MS.finditer(sentence):
        found.append((m.start(), Constraint("time_limit", "ms=1", m.group(0))))
    for m in _THROUGHPUT.finditer(sentence):
        if not _describes_problem(sentence, m.start(), m.end()):
            found.append((m.start(), Constraint("time_limit", f"ms=1000,n={_number(m.group('num'))}", m.group(0))))
    for m in _MEMORY.finditer(sentence):
        before, after = sentence[max(0, m.start() - 30) : m.start()], sentence[m.end() : m.end() + 30]
        wanted = _MEMORY_CUE_BEFORE.search(before) or _MEMORY_CUE_AFTER.search(after)
        if wanted and not _describes_problem(sentence, m.start(), m.end()):
            found.append((m.start(), Constraint("memory_limit", f"mb={_fmt(_megabytes(m))}", m.group(0))))
    for m in _NO_NEW_DEPS.finditer(sentence):
        found.append((m.start(), Constraint("no_new_dependencies", "", m.group(0))))
    for m in _NEGATION.finditer(sentence):
        for raw in re.split(r"\s*(?:,|/|\bor\b|\band\b|\bnor\b)\s*", m.group("names"), flags=re.IGNORECASE):
            resolved = resolve_name(raw)
            if resolved is not None:
                found.append((m.start("names"), Constraint(resolved[0], resolved[1], m.group(0).rstrip(".,;"))))  # type: ignore[arg-type]
    for m in _PYTHON.finditer(sentence):
        found.append((m.start(), Constraint("python_version", m.group("v"), m.group(0))))
    for m in _SIGNATURE.finditer(sentence):
        name = (m.group("name") or m.group("name1") or m.group("name2") or "").rstrip(".").strip("`").removesuffix("()")
        name = "" if name.lower() in {"the", "a", "an", "it", "this", "that", "all", "any", "its"} else name
        found.append((m.start(), Constraint("signature", name, m.group(0).rstrip("."))))
    for m in _THREADS.finditer(sentence):
        found.append((m.start(), Constraint("thread_safety", "", m.group(0))))
    return found


def _describes_problem(sentence: str, start: int, end: int) -> bool:
    """Return whether the words around ``sentence[start:end]``, in its clause, describe the current problem."""
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
    clause_end = next((m.start() for m in _CLAUSE_END.finditer(sentence, end)), len(sentence))
    before = sentence[clause_start:start][-60:]
    after = ",".join(sentence[end:clause_end].split(",")[0:2])[:60]
    cues = list(_PROBLEM.finditer(before))
    if cues and not _TARGET.search(before, cues[-1].end()):
        return True  # "suffers from O(n^2)"; but "replace the O(n^2) scan with O(n)" names the target after "with"
    return bool(_PROBLEM.search(after)) and not cues


def _about_space(sentence: str, start: int, end: int) -> bool:
    after = sentence[end : end + 40].lower()
    first = re.match(
        r"\W*(?:average[- ]case\s+|worst[- ]case\s+|amortized\s+|auxiliary\s+|extra\s+|additional\s+)*(\w+)", after
    )
    if first and first.group(1) in {"space", "memory", "storage", "ram"}:
        return True
    if first and first.group(1) in {"time", "runtime", "cost", "lookup", "lookups", "per", "operations", "query"}:
        return False
    before = sentence[max(0, start - 40) : start].lower()
    space = max(before.rfind(w) for w in ("space", "memory", "auxiliary", "storage"))
    time = max(before.rfind(w) for w in ("time", "run", "speed", "complexity of", "latency"))
    return space > time


def _complexity(inner: str) -> str:
    text = (
        inner.lower().replace("²", "^2").replace("³", "^3").replace("**", "^").replace("·", "*").replace("\u00d7", "*")
    )
    text = re.sub(r"log\s*\(\s*(\w+)\s*\)", r"log \1", text)
    text = re.sub(r"\s*\*\s*", " * ", text)
    text = re.sub(r"(\w)\s*\*\s*log", r"\1 log", text)
    text = re.sub(r"\bnlogn\b", "n log n", text)
    text = re.sub(r"\blog\s*n\b", "log n", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _CLASSES.get(text, f"O({text})")


def _milliseconds(number: float, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith(("ms", "msec", "milli")):
        return number
    if unit.startswith(("µs", "us", "micro")):
        return number / 1000
    if unit.startswith("min"):
        return number * 60_000
    return number * 1000


def _megabytes(m: re.Match[str]) -> float:
    unit = m.group("unit").lower()
    factor = {"k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 * 1024}[unit[0]]
    return float(m.group("num")) * factor


def _size_near(sentence: str, start: int, end: int) -> int | None:
    """Return the input size a time limit is for: "... for 10^6 items", "sort 10^6 items in ...", "n = 10^6"."""
    found = _SIZE_AFTER.match(sentence[end : end + 60]) or _SIZE_BEFORE.search(sentence[max(0, start - 80) : start])
    if found:
        return _number(found.group("num"))
    explicit = re.search(rf"\bn\s*=\s*(?P<num>{_NUM})", sentence)
    return _number(explicit.group("num")) if explicit else None


def _number(text: str) -> int:
    """Read ``10^6``, ``10**6``, ``1e6``, ``1,000,000``, ``100k``, ``2 million`` as an int."""
    t = text.lower().strip()
    scale = 1
    for word, factor in (("million", 10**6), ("thousand", 10**3), ("k", 10**3), ("m", 10**6)):
        if t.endswith(word):
            scale, t = factor, t[: -len(word)].strip()
            break
    t = re.sub(r"[,_ ]", "", t)
    power = re.fullmatch(r"(\d+(?:\.\d+)?)(?:\^|\*\*)(\d+)", t)
    if power:
        return int(float(power.group(1)) ** int(power.group(2))) * scale
    return int(float(t) * scale)


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:g}"
