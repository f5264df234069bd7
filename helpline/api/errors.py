"""Field errors named the way the API's client sent them."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError


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
