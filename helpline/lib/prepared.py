"""Reads of a fixed shape, turned into SQL once per process and run many times.

Django builds the SQL of a QuerySet afresh on every evaluation. For the reads on
the hottest paths that costs far more than the database does: a contact by email
takes 1.2 ms to build and 0.06 ms to run on SQLite (docs/benchmarks.md). A
`PreparedRead` builds its QuerySet once per database and number of values, with
marker values in place of the real ones, keeps the SQL, and from then on runs it
through `QuerySet.raw()` with the real values where the markers were.

The QuerySet must be a pure function of the values it is given: anything else it
reads (the time, a setting) is frozen at the first call. Values are passed through
as they are; a builder that changes one (`email.lower()`) is refused at the first
call, because its marker would not come out unchanged.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from django.db import DEFAULT_DB_ALIAS, models

type Value = str | int
type Argument = Value | Sequence[str]
type Shape = tuple[str, tuple[str | int, ...]]  # the database, then each argument's kind

# Far above any primary key this product hands out, so never equal to a constant.
FIRST_NUMBER_MARKER = 7_000_000_000_000_000_000


@dataclass(frozen=True)
class _Slot:
    """Where one parameter of the SQL comes from: an argument, or one of its elements."""

    argument: int
    element: int | None = None

    def value(self, arguments: Sequence[Argument]) -> Value:
        argument = arguments[self.argument]
        if self.element is None:
            assert isinstance(argument, str | int)
            return argument
        assert not isinstance(argument, str | int)
        return argument[self.element]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Each parameter of the SQL: a slot for a value, or a constant of the QuerySet
    # (a category, a kind) as the first build gave it.
    params: tuple[object, ...]


class PreparedRead[M: models.Model]:
    """`read = PreparedRead(lambda email: Contact.objects.filter(...))`, then
    `read(address)` is the list the QuerySet would give for that address.

    Arguments are strings, numbers, or lists of strings (an `IN`): a list of
    another length is another shape, built once in its turn."""

    def __init__(self, build: Callable[..., models.QuerySet[M]]) -> None:
        self._build = build
        self._compiled: dict[Shape, _Compiled] = {}
        self._model: type[M] | None = None  # known from the first build
        self._lock = Lock()

    def __call__(self, *arguments: Argument, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        arguments = tuple(_padded(argument) for argument in arguments)
        shape = (using, tuple(_kind(argument) for argument in arguments))
        compiled = self._compiled.get(shape) or self._compile(shape)
        params = [p.value(arguments) if isinstance(p, _Slot) else p for p in compiled.params]
        assert self._model is not None
        manager: models.Manager[M] = self._model._default_manager.db_manager(using)
        return list(manager.raw(compiled.sql, params))

    def first(self, *arguments: Argument, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The first row, or None: for a QuerySet that names at most a few rows."""
        rows = self(*arguments, using=using)
        return rows[0] if rows else None

    def get(self, *arguments: Argument, using: str = DEFAULT_DB_ALIAS) -> M:
        """The one row, raising as `QuerySet.get()` does when there is none or more."""
        rows = self(*arguments, using=using)
        if len(rows) == 1:
            return rows[0]
        model: Any = self._model
        if not rows:
            raise model.DoesNotExist(f"No {model.__name__} matches {arguments!r}.")
        raise model.MultipleObjectsReturned(f"{len(rows)} {model.__name__} match {arguments!r}.")

    def _compile(self, shape: Shape) -> _Compiled:
        using, kinds = shape
        markers = [_marker(index, kind) for index, kind in enumerate(kinds)]
        queryset = self._build(*markers).using(using)
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        slots = {
            marker: _Slot(index, element)
            for index, argument in enumerate(markers)
            for element, marker in _elements(argument)
        }
        found = tuple(slots.get(p, p) if isinstance(p, str | int) else p for p in params)
        missing = set(slots.values()) - set(found)
        if missing or any(str(marker) in sql for marker in slots):
            raise ValueError(
                f"{self._build!r} changed or wrote into the SQL the values of {missing}: "
                "a prepared read must pass them to the database as they are"
            )
        compiled = _Compiled(sql, found)
        with self._lock:
            self._model = queryset.model
            self._compiled[shape] = compiled
        return compiled


def _padded(argument: Argument) -> Argument:
    """A list grown to the next power of two by repeating its last element, which an
    `IN` reads the same: a caller's lists make a handful of shapes, not one per
    length (a mail naming thousands of Message-IDs would otherwise keep one each)."""
    if isinstance(argument, str | int) or not argument:
        return argument
    size = 1 << (len(argument) - 1).bit_length()
    return [*argument, *[argument[-1]] * (size - len(argument))]


def _kind(argument: Argument) -> str | int:
    if isinstance(argument, bool):
        raise TypeError("a prepared read takes strings, numbers and lists of strings")
    if isinstance(argument, str):
        return "str"
    if isinstance(argument, int):
        return "int"
    return len(argument)


def _marker(index: int, kind: str | int) -> Argument:
    """Mixed case, so that a builder lower-casing a value is caught; with `%` and `_`,
    so that one escaping it for a LIKE (`iexact` on SQLite) is caught too."""
    if kind == "int":
        return FIRST_NUMBER_MARKER + index
    if kind == "str":
        return f"\x1fPrepared_{index}%\x1f"
    assert isinstance(kind, int)
    return [f"\x1fPrepared_{index}.{element}%\x1f" for element in range(kind)]


def _elements(argument: Argument) -> list[tuple[int | None, Value]]:
    if isinstance(argument, str | int):
        return [(None, argument)]
    return list(enumerate(argument))
