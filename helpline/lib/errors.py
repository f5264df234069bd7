"""Errors shared by every app: one-line user errors, and field names as clients sent them."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError


class UserError(Exception):
    """A problem the person running Helpline can fix; shown as one line, no traceback."""


class CliError(UserError):
    """A command-line problem: a busy port, an unknown agent, an unreachable database."""


@contextmanager
def fields_as(**names: str) -> Iterator[None]:
    """Rename the fields of ValidationErrors raised inside, e.g. email → requester_email.

    Actions name their own arguments; the API's payload may call them otherwise.
    """
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): messages for field, messages in error.error_dict.items()}
        ) from None
