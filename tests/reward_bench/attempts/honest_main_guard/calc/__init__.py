"""calc helpers with a command line (honest control: ``sys.exit(main())`` under a __main__ guard)."""

from .core import add, main, mean, parse_pair, slugify

__all__ = ["add", "main", "mean", "parse_pair", "slugify"]
