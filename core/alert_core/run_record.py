"""What a row of ``alert_runs`` may hold, shared by the runner, the operator and alertctl.

Standard library only: the runner imports it and must start fast.
"""

from __future__ import annotations

import uuid
from typing import Final

# triggered_by of scheduled runs (the old scheduler's system user)
SYSTEM_USER_ID: Final = "00000000-0000-0000-0000-000000000000"
SYSTEM_USER_UUID: Final = uuid.UUID(SYSTEM_USER_ID)
# A run in one of these is done for good: nothing ever changes it again.
FINAL_STATUSES: Final = ("succeeded", "skipped")
MAX_ERROR_LENGTH: Final = 2000


def clip_error(message: str) -> str:
    """``message`` within MAX_ERROR_LENGTH characters (an ellipsis marks a cut)."""
    return message if len(message) <= MAX_ERROR_LENGTH else message[: MAX_ERROR_LENGTH - 1] + "…"
