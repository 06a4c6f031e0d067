"""The ``paragon-connect`` command (also ``python -m paragon_connect``): the core's command line
tool, see ``paragon-connect --help``."""

from __future__ import annotations

import signal
import sys

from ._native import run_cli


def main() -> None:
    # Ctrl-C ends the command at once, as it would a C program: the call runs in Rust.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(run_cli(sys.argv[1:]))
