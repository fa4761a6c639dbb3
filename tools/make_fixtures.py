#!/usr/bin/env python3
"""Generate rnncheck fixtures with real Keras (the code is the package tools/fixturegen/).

    python tools/make_fixtures.py [--out DIR] [--family FAMILY[,FAMILY...]]
                                  [--only GLOB[,GLOB...]] [--list] [--seed N]

Without --family or --only every case is written (to the repository's fixtures/ by default).
Adding a case: tools/README.md.
"""

import sys

from fixturegen.cli import main   # tools/ is on sys.path when this file is run

if __name__ == "__main__":
    sys.exit(main())
