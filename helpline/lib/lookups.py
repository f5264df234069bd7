"""Rows that a request names by id, slug or name."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet


def named_row[M: Model](
    rows: QuerySet[M], *, field: str, value: Any, missing: Callable[[], str], lookup: str = "pk"
) -> M | None:
    """The row whose `lookup` is `value`; None when the request names none (null).

    A name that matches no row is the client's mistake about that field, so it is a
    422 on `field` (with the `missing()` message), not a 404 of the whole request.
    """
    if value is None:
        return None
    row = rows.filter(**{lookup: value}).first()
    if row is None:
        raise ValidationError({field: missing()})
    return row
