"""``python -m alert_runner``: the same as the ``alert-runner`` console script."""

import sys

from alert_runner.cli import main

sys.exit(main())
