"""`python -m micrograd.cli ...`: the `micrograd` command (as `python -m micrograd ...`)."""

import sys

from . import main

sys.exit(main())
