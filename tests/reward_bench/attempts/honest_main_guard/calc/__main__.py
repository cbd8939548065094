"""``python -m calc TEXT KEY=VALUE``."""

import sys

from calc.core import main

if __name__ == "__main__":
    sys.exit(main())
