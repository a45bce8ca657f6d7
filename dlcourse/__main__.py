"""``python -m dlcourse ...`` is the same as the ``dlcourse`` command."""
from .cli import main

raise SystemExit(main())
