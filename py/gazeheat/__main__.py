"""``python3 -m gazeheat``: the command line (see ``gazeheat.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
