"""``python -m recolor``: the same as the ``recolor`` command."""

import sys

from recolor.cli import main

sys.exit(main())
