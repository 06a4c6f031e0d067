"""``python -m paragon_connect``: the ``paragon-connect`` command."""

from ._cli import main

main()
