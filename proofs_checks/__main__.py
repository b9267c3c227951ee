"""``python -m proofs_checks [--quick | --full] [--only PATTERN] [--format ...] [--out FILE]``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
