"""`python3 -m ferry_wsgi MODULE:APP [options]`: see `--help`."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
