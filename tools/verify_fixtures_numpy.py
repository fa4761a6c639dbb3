#!/usr/bin/env python3
"""Cross-check fixtures with an independent float64 NumPy evaluation of the stored model.

    python tools/verify_fixtures_numpy.py [fixtures/ ...] [--strict]

The code is the package tools/oracle/ (see its __init__.py and tools/README.md).
"""

import sys

from oracle.cli import main   # tools/ is on sys.path when this file is run

if __name__ == "__main__":
    sys.exit(main())
