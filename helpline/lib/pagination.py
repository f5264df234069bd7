"""Keyset ("cursor") pagination: stable under inserts, cheap at any depth."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

MAX_LIMIT = 100


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int = 2) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise _bad_cursor() from None
    if not isinstance(values, list) or len(values) != length:
        raise _bad_cursor()
    return values


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": "This cursor is not one the API gave out."})


def _cursor_value(raw: Any, value_type: type) -> Any:
    """A cursor's sort value read back as the type of that sort's field, in range."""
    if value_type is datetime:
        if not isinstance(raw, str):
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError(raw)
        # Normalised to UTC and bounded: an offset that pushes the time outside
        # 1900..9000 overflows SQLite's date functions and PostgreSQL's timestamps.
        moment = moment.astimezone(UTC)
        if not 1900 <= moment.year < 9000:
            raise ValueError(raw)
        return moment
    if isinstance(raw, bool) or not isinstance(raw, int) or not -(2**63) < raw < 2**63:
        raise ValueError(raw)
    return raw


def after_sort_cursor(
    queryset: QuerySet,
    cursor: str | None,
    *,
    sort: str,
    field: str,
    descending: bool,
    value_type: type,
) -> QuerySet:
    """Rows after the cursor in (field, id) order, both ascending or both descending.

    `sort` names the order the cursor was made for: a cursor from another order is
    refused rather than silently skipping rows. `value_type`: datetime or int."""
    if not cursor:
        return queryset
    values = decode_cursor(cursor, length=3)
    name, raw, pk = values
    try:
        if name != sort:
            raise ValueError(name)
        value = _cursor_value(raw, value_type)
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError(pk)
    except (TypeError, ValueError, OverflowError):
        raise _bad_cursor() from None
    before, after = ("lt", "lte") if descending else ("gt", "gte")
    # The redundant `field <= value` lets both databases walk the index from
    # the cursor; with the OR alone they scan (PostgreSQL) or sort (SQLite) the rest.
    return queryset.filter(**{f"{field}__{after}": value}).filter(
        Q(**{f"{field}__{before}": value}) | Q(**{field: value, f"id__{before}": pk})
    )


def sort_cursor(sort: str, value: Any, pk: int) -> list[Any]:
    return [sort, value, pk]


def after_id_cursor(queryset: QuerySet, cursor: str | None) -> QuerySet:
    if not cursor:
        return queryset
    marker, pk = decode_cursor(cursor)
    if marker != "id" or not isinstance(pk, int) or not 0 < pk < 2**63:
        raise ValidationError({"cursor": "This cursor is not one the API gave out."})
    return queryset.filter(id__gt=pk)


def page(rows: list[Any], limit: int, cursor_of: Any) -> tuple[list[Any], str | None]:
    """Split one-extra-row fetches into (items, next cursor)."""
    if len(rows) > limit:
        return rows[:limit], encode_cursor(cursor_of(rows[limit - 1]))
    return rows, None
