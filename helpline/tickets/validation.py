"""Validation of ticket input shared by actions (and so by the API, CLI and later the UI)."""

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from helpline.accounts.models import Role, Team, User
from helpline.lib.text import clean_text, one_line, refuse_unsafe
from helpline.tickets.models import CustomField, Priority, TicketType

MAX_SUBJECT = 250
MAX_BODY = 1_000_000
TAG_PATTERN = re.compile(r"^[\w-]{1,50}$")
# A BCP 47 language tag's shape ("en", "pt-BR", "zh-Hant-TW"), not its registry.
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*\Z")
MAX_LANGUAGE = 16


def clean_subject(raw: str) -> str:
    subject = one_line(raw)
    if not subject:
        raise ValidationError({"subject": "A ticket needs a subject."})
    if len(subject) > MAX_SUBJECT:
        raise ValidationError({"subject": f"Keep the subject under {MAX_SUBJECT} characters."})
    return subject


def clean_body(raw: str, field: str = "body") -> str:
    body = clean_text(raw).strip()
    if not body:
        raise ValidationError({field: "The message is empty."})
    if len(body) > MAX_BODY:
        raise ValidationError({field: f"Keep the message under {MAX_BODY:,} characters."})
    return body


def clean_language(raw: str) -> str:
    """A language tag, or "" for unknown; a code is refused, not cleaned (see lib/text.py)."""
    language = refuse_unsafe(raw, "language").strip()
    if language and (len(language) > MAX_LANGUAGE or not LANGUAGE_PATTERN.match(language)):
        raise ValidationError(
            {"language": f"{raw!r} is not a language tag such as 'en' or 'pt-BR'."}
        )
    return language


def clean_choice(value: str, choices: type[Priority] | type[TicketType], field: str) -> str:
    if value not in choices.values:
        options = ", ".join(choices.values)
        raise ValidationError({field: f"{value!r} is not one of: {options}."})
    return value


def clean_tag_names(names: Iterable[str]) -> list[str]:
    """Tag names as stored (lower case, words joined by -), once each, in order."""
    clean: list[str] = []
    for raw in names:
        name = "-".join(raw.strip().lower().split())
        if not TAG_PATTERN.match(name):
            raise ValidationError(
                {"tags": f"{raw!r} is not a tag: use up to 50 letters, digits, - or _."}
            )
        clean.append(name)
    return list(dict.fromkeys(clean))


def clean_custom_fields(values: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Merge `values` into `current`; a None value clears that field."""
    definitions = {f.key: f for f in CustomField.objects.filter(is_active=True)}
    merged = dict(current)
    errors: list[str] = []
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors.append(f"{key!r} is not a custom field.")
            continue
        try:
            cleaned = definition.clean_value(value)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    if errors:
        raise ValidationError({"custom_fields": errors})
    return merged


def check_assignee(user: User | None, team: Team | None) -> None:
    if user is None:
        return
    if not user.is_active or user.role == Role.LIGHT_AGENT:
        raise ValidationError({"assignee": f"{user} cannot be assigned tickets."})
