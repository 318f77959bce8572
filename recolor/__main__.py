"""``python -m recolor``: the same as the ``recolor`` command."""

import sys

from recolor.cli import command

sys.exit(command())
