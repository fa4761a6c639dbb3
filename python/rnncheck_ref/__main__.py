"""python -m rnncheck_ref MODEL -o REF.h5"""

import sys

from .cli import main

sys.exit(main())
