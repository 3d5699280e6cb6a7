"""`python -m micrograd ...`: the same as the `micrograd` command (micrograd.cli.main)."""

import sys

from .cli import main

sys.exit(main())
