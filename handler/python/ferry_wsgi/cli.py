"""Command-line entry: parse options, then run the master (which forks the workers)."""

import sys

from .config import UsageError, build_parser, parse_args
from .master import Master


def main(argv, stderr=None):
    stderr = stderr or sys.stderr
    try:
        config = parse_args(argv)
    except UsageError as err:
        stderr.write(f"python3 -m ferry_wsgi: {err}\n\n")
        build_parser().print_usage(stderr)
        return 2
    return Master(config, stderr).run()


def run():
    """Console-script entry point (`ferry-wsgi`, when installed with pip)."""
    sys.exit(main(sys.argv[1:]))
