"""``python -m neg``: the command line (:mod:`neg.cli`)."""

import sys

from neg.cli import main

if __name__ == "__main__":
    sys.exit(main())
