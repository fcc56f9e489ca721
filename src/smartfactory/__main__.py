"""``python -m smartfactory``: the same as the ``smartfactory`` command."""

from .cli import main

main()
