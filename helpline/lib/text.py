"""Cleaning one-line text from outside (subjects, names)."""

import re

# C0/C1 control characters: invisible, and NUL is refused outright by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(raw: str) -> str:
    """Control characters dropped and runs of whitespace made one space."""
    return " ".join(_CONTROL.sub(" ", raw).split())


def without_nul(raw: str) -> str:
    return raw.replace("\x00", "")


def human_size(size: int) -> str:
    for unit, scale in (("MB", 1_048_576), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"
