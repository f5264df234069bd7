"""The one "leave it as it is" marker for verbs that change some fields of an object.

`None` already means "clear it" (no assignee, no organisation), so an argument
the caller did not give needs a value of its own.
"""

import enum
from typing import Final, Literal


class _Unchanged(enum.Enum):
    UNCHANGED = "UNCHANGED"

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged.UNCHANGED
Unchanged = Literal[_Unchanged.UNCHANGED]
