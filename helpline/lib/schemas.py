"""Typed, bounded building blocks for API schemas, shared by every app's API.

A value outside these bounds is a 422 naming the field before any query runs: the
databases disagree on what they accept (SQLite overflows past 2**63 - 1, PostgreSQL
refuses NUL), and the API must answer the same on both.
"""

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from helpline.lib.text import one_line

MAX_DB_ID = 2**63 - 1  # a signed 64-bit integer column, on both databases

# A row's id or a ticket's number, in a path, a query or a body.
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]

# Free text used to search or filter (never stored): the one text rule, then bounded.
SearchText = Annotated[str, Field(max_length=200), AfterValidator(one_line)]


class InputSchema(Schema):
    """A JSON request body: an object (not a list, a string or null) with only the
    fields the endpoint knows. A misspelt field (`"priorty": "high"`) would otherwise
    be ignored and answered 200, as an unknown query parameter would."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # Ninja hands the parsed JSON over wrapped for attribute access.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(raw, dict):
            raise PydanticCustomError("not_an_object", "Send a JSON object.")
        return data
