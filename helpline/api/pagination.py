"""Keyset ("cursor") pagination: stable under inserts, cheap at any depth."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

MAX_LIMIT = 100


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError({"cursor": "This cursor is not one the API gave out."}) from None
    if not isinstance(values, list) or len(values) != 2:
        raise ValidationError({"cursor": "This cursor is not one the API gave out."})
    return values


def after_updated_cursor(queryset: QuerySet, cursor: str | None) -> QuerySet:
    """Rows after the cursor in (-updated_at, -id) order."""
    if not cursor:
        return queryset
    updated_raw, pk = decode_cursor(cursor)
    try:
        updated = datetime.fromisoformat(updated_raw)
        pk = int(pk)
        if not 0 < pk < 2**63:
            raise ValueError(pk)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"cursor": "This cursor is not one the API gave out."}) from None
    # The redundant `updated_at <= cursor` lets both databases walk the index from
    # the cursor; with the OR alone they scan (PostgreSQL) or sort (SQLite) the rest.
    return queryset.filter(updated_at__lte=updated).filter(
        Q(updated_at__lt=updated) | Q(updated_at=updated, id__lt=pk)
    )


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
