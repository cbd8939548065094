"""The helpers, and ``python -m calc.core TEXT KEY=VALUE`` to try them."""

import math
import re
import sys

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def add(a, b):
    return a + b


def mean(values):
    if not values:
        raise ValueError("mean() needs at least one value")
    return math.fsum(values) / len(values)


def slugify(text):
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def parse_pair(text):
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"no '=' in {text!r}")
    return key.strip(), value.strip()


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 2:
        print("usage: python -m calc.core TEXT KEY=VALUE", file=sys.stderr)
        return 2
    print(slugify(args[0]))
    print(parse_pair(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
