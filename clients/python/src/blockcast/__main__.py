"""`python -m blockcast tail …` (see blockcast.tail)."""

from __future__ import annotations

import sys

from .tail import ExitCode
from .tail import main as tail_main

USAGE = (
    "usage: python -m blockcast tail <stream>[?query] --api-root URL [--since P --epoch E]"
    " [--position-file F | --output F] [--token T] [--connect-deadline S]\n"
)


def main() -> int:
    argv = sys.argv[1:]
    if not argv or argv[0] != "tail":
        sys.stderr.write(USAGE)
        return ExitCode.USAGE
    return tail_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
