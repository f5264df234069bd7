"""The one ticket filter: the ticket list's query parameters, validated, as a queryset.

In the style of NetBox's filtersets: each filter is declared once (name, how a raw value
is parsed, how it narrows the queryset), and the same declaration serves the API list now
and the workspace's views, saved views and reports next. A filter is built from plain
query parameters (`TicketFilter.from_params(request.GET)` or a saved view's JSON) and
applied to the tickets a viewer may see (`access.tickets_for(user)`):

    filters = TicketFilter.from_params({"status": ["open", "pending"], "q": "invoice"})
    tickets = filters.apply(access.tickets_for(user), viewer=user)

Every value is checked before any query runs: an unknown status, a malformed id, a date
the database cannot store or a NUL byte is a ValidationError naming the field (and the
known values where there are few), never a 500 nor a silently unfiltered list.
"""

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from helpline.accounts.models import User
from helpline.contacts.viewers import Viewer
from helpline.tickets import access, search
from helpline.tickets.models import (
    Category,
    Channel,
    CustomField,
    FieldKind,
    Priority,
    Status,
    StatusCategory,
    Ticket,
    TicketType,
)

MAX_ID = 2**63 - 1
MAX_VALUES = 20  # values per filter: `status=a&status=b` or `status=a,b`
MAX_TEXT = 200
# Years both databases store and compare (SQLite's datetime functions stop at 0000/9999).
OLDEST, NEWEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() accepts "¹" and "٣"
TAG = re.compile(r"[-\w]{1,50}")
CUSTOM_FIELD_PREFIX = "cf_"

Parsed = Any


def _known(values: Iterable[str]) -> str:
    return ", ".join(values) or "(none)"


def clean_text(raw: str, name: str) -> str:
    """One line of filter text: bounded, no control characters, no bidi overrides."""
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError({name: _("At most %(n)d characters.") % {"n": MAX_TEXT}})
    if CONTROL.search(text):
        raise ValidationError({name: _("Control characters are not allowed.")})
    return text


def parse_id(raw: str, name: str) -> int:
    if not DIGITS.fullmatch(raw) or not 0 < int(raw) <= MAX_ID:
        raise ValidationError({name: _("Use a positive whole number (an id).")})
    return int(raw)


def parse_time(raw: str, name: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or time, as UTC (naive means UTC), within years both databases store."""
    text = clean_text(raw, name)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace(" ", "+"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            {name: _("Use an ISO 8601 date or time, e.g. 2026-05-01 or 2026-05-01T09:30:00Z.")}
        ) from None
    if not OLDEST <= moment < NEWEST:
        raise ValidationError({name: _("Use a time between the years 1900 and 9000.")})
    return moment


@dataclass(frozen=True)
class Filter:
    """One declared filter: how a raw value is read and how it narrows the tickets."""

    name: str
    help: str
    parse: Callable[[str, str], Parsed]
    narrow: Callable[[QuerySet[Ticket], list[Parsed], Viewer | None], QuerySet[Ticket]]
    many: bool = False  # several values, ORed


def _choice(known: Callable[[], list[str]]) -> Callable[[str, str], str]:
    def parse(raw: str, name: str) -> str:
        value = clean_text(raw, name)
        options = known()
        if value not in options:
            raise ValidationError(
                {
                    name: _("%(value)r is not one of: %(known)s.")
                    % {"value": value, "known": _known(options)}
                }
            )
        return value

    return parse


def _statuses() -> list[str]:
    return list(Status.objects.values_list("slug", flat=True))


def _categories() -> list[str]:
    return list(Category.objects.values_list("name", flat=True))


def _field_in(
    lookup: str,
) -> Callable[[QuerySet[Ticket], list[Parsed], Viewer | None], QuerySet[Ticket]]:
    def narrow(
        tickets: QuerySet[Ticket], values: list[Parsed], viewer: Viewer | None
    ) -> QuerySet[Ticket]:
        return tickets.filter(**{f"{lookup}__in": values})

    return narrow


def _parse_assignee(raw: str, name: str) -> int | str:
    if raw in {"me", "none"}:
        return raw
    if not DIGITS.fullmatch(raw):
        raise ValidationError({name: _("Use an agent id, 'me' or 'none'.")})
    return parse_id(raw, name)


def _by_assignee(
    tickets: QuerySet[Ticket], values: list[Parsed], viewer: Viewer | None
) -> QuerySet[Ticket]:
    condition = Q()
    for value in values:
        if value == "none":
            condition |= Q(assignee__isnull=True)
        elif value == "me":
            # "me" is an agent; for anyone else it names no one.
            condition |= Q(assignee_id=viewer.pk if isinstance(viewer, User) else None)
        else:
            condition |= Q(assignee_id=value)
    return tickets.filter(condition)


def _parse_tag(raw: str, name: str) -> str:
    value = clean_text(raw, name).lower()
    if not TAG.fullmatch(value):
        raise ValidationError({name: _("%(value)r is not a tag name.") % {"value": value}})
    return value


def _by_tags(
    tickets: QuerySet[Ticket], values: list[Parsed], viewer: Viewer | None
) -> QuerySet[Ticket]:
    # A subquery, not a join: a ticket with two of the tags is listed once.
    return tickets.filter(
        pk__in=Ticket.tags.through.objects.filter(tag__name__in=values).values("ticket_id")
    )


def _from(
    lookup: str,
) -> Callable[[QuerySet[Ticket], list[Parsed], Viewer | None], QuerySet[Ticket]]:
    def narrow(
        tickets: QuerySet[Ticket], values: list[Parsed], viewer: Viewer | None
    ) -> QuerySet[Ticket]:
        return tickets.filter(**{lookup: values[0]})

    return narrow


def _parse_end(raw: str, name: str) -> datetime:
    return parse_time(raw, name, end_of_day=True)


def _by_text(
    tickets: QuerySet[Ticket], values: list[Parsed], viewer: Viewer | None
) -> QuerySet[Ticket]:
    if not values[0]:
        return tickets
    # Internal notes match only for viewers who may read them.
    public_only = viewer is None or not access.sees_internals(viewer)
    return search.matching(tickets, values[0], public_only=public_only)


FILTERS: dict[str, Filter] = {
    f.name: f
    for f in [
        Filter("status", "Status slug(s)", _choice(_statuses), _field_in("status__slug"), many=True),
        Filter(
            "status_category", "Status category: " + _known(StatusCategory.values),
            _choice(lambda: list(StatusCategory.values)), _field_in("status__category"), many=True,
        ),
        Filter("priority", _known(Priority.values), _choice(lambda: list(Priority.values)),
               _field_in("priority"), many=True),
        Filter("type", _known(TicketType.values), _choice(lambda: list(TicketType.values)),
               _field_in("type"), many=True),
        Filter("channel", _known(Channel.values), _choice(lambda: list(Channel.values)),
               _field_in("channel"), many=True),
        Filter("category", "Category name(s)", _choice(_categories), _field_in("category__name"),
               many=True),
        Filter("assignee", "Agent id(s), 'me' or 'none'", _parse_assignee, _by_assignee, many=True),
        Filter("team", "Team id(s)", parse_id, _field_in("team_id"), many=True),
        Filter("requester", "Contact id(s)", parse_id, _field_in("requester_id"), many=True),
        Filter("organization", "Organisation id(s) of the requester", parse_id,
               _field_in("requester__organization_id"), many=True),
        Filter("tag", "Tag name(s); a ticket with any of them", _parse_tag, _by_tags, many=True),
        Filter("created_after", "ISO 8601 date or time (inclusive)", parse_time,
               _from("created_at__gte")),
        Filter("created_before", "ISO 8601 date or time (inclusive)", _parse_end,
               _from("created_at__lte")),
        Filter("updated_after", "ISO 8601 date or time (inclusive)", parse_time,
               _from("updated_at__gte")),
        Filter("updated_before", "ISO 8601 date or time (inclusive)", _parse_end,
               _from("updated_at__lte")),
        Filter("updated_since", "Same as updated_after", parse_time, _from("updated_at__gte")),
        Filter("q", "Free text: number, subject, messages, requester name and email",
               clean_text, _by_text),
    ]
}  # fmt: skip


@dataclass(frozen=True)
class Sort:
    """One sort order: a field, a direction, and the id as a stable tiebreak in the same one."""

    name: str
    field: str  # a Ticket field, or an annotation made by `annotate`
    descending: bool
    value_type: type  # of the field: datetime or int, for reading cursors back
    annotate: Callable[[QuerySet[Ticket]], QuerySet[Ticket]] = dataclasses.field(
        default=lambda qs: qs
    )

    @property
    def order_by(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [f"{sign}{self.field}", f"{sign}id"]


def _priority_rank(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    ranks = [When(priority=p, then=Value(i)) for i, p in enumerate(Priority.values)]
    return tickets.annotate(
        priority_rank=Case(*ranks, default=Value(-1), output_field=IntegerField())
    )


SORTS: dict[str, Sort] = {}
for _name, _field, _type, _annotate in [
    ("updated", "updated_at", datetime, None),
    ("created", "created_at", datetime, None),
    ("number", "number", int, None),
    ("priority", "priority_rank", int, _priority_rank),
]:
    for _desc in (False, True):
        _key = ("-" if _desc else "") + _name
        SORTS[_key] = Sort(_key, _field, _desc, _type, *([_annotate] if _annotate else []))
DEFAULT_SORT = "-updated"


@dataclass(frozen=True)
class TicketFilter:
    """Validated filter values by name (several for `many` filters), custom fields, a sort."""

    values: dict[str, list[Parsed]] = dataclasses.field(default_factory=dict)
    custom_fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    sort: Sort = SORTS[DEFAULT_SORT]
    params: dict[str, str | list[str]] = dataclasses.field(
        default_factory=dict
    )  # as given, JSON-safe

    @classmethod
    def known_params(cls) -> list[str]:
        return [*FILTERS, "sort", f"{CUSTOM_FIELD_PREFIX}<key>"]

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, also_allowed: Iterable[str] = ()
    ) -> "TicketFilter":
        """Read query parameters (a QueryDict, or a dict of str / list of str).

        A parameter that is neither a filter, `sort`, `cf_<key>` nor in `also_allowed`
        (the caller's own, like `cursor`) is refused, so a typo never lists everything."""
        raw = _as_lists(params)
        extra = set(also_allowed)
        unknown = [n for n in raw if n not in FILTERS and n != "sort" and n not in extra
                   and not n.startswith(CUSTOM_FIELD_PREFIX)]  # fmt: skip
        if unknown:
            known = _known([*cls.known_params(), *sorted(extra)])
            raise ValidationError({
                name: _("Unknown query parameter. Known: %(known)s.") % {"known": known}
                for name in unknown
            })  # fmt: skip
        values = {
            name: _parse(FILTERS[name], items) for name, items in raw.items() if name in FILTERS
        }
        return cls(
            values={name: parsed for name, parsed in values.items() if parsed},
            custom_fields=_custom_fields(
                {n: v for n, v in raw.items() if n.startswith(CUSTOM_FIELD_PREFIX)}
            ),
            sort=_sort(raw.get("sort", [])),
            params={n: v if len(v) > 1 else v[0] for n, v in raw.items() if n not in extra},
        )

    def apply(self, tickets: QuerySet[Ticket], *, viewer: Viewer | None) -> QuerySet[Ticket]:
        """These tickets narrowed by every filter, in this filter's order.

        `tickets` are the ones the viewer may see; nothing here widens them."""
        for name, values in self.values.items():
            tickets = FILTERS[name].narrow(tickets, values, viewer)
        for key, value in self.custom_fields.items():
            tickets = tickets.filter(**{f"custom_fields__{key}": value})
        return self.sort.annotate(tickets).order_by(*self.sort.order_by)

    @property
    def text(self) -> str:
        """The free text (`q`), or ""."""
        return str(self.values.get("q", [""])[0])


def _as_lists(params: Mapping[str, Any]) -> dict[str, list[str]]:
    getlist = getattr(params, "getlist", None)
    lists = {}
    for name in params:
        value = getlist(name) if getlist else params[name]
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in items):
            raise ValidationError({str(name): _("Expected text.")})
        lists[str(name)] = items
    return lists


def _parse(spec: Filter, raw: list[str]) -> list[Parsed]:
    items = [part.strip() for item in raw for part in (item.split(",") if spec.many else [item])]
    items = [item for item in items if item]
    if len(items) > (MAX_VALUES if spec.many else 1):
        many = _("At most %(n)d values.") % {"n": MAX_VALUES}
        raise ValidationError({spec.name: many if spec.many else _("Give one value.")})
    return list(dict.fromkeys(spec.parse(item, spec.name) for item in items))


def _sort(raw: list[str]) -> Sort:
    if not raw:
        return SORTS[DEFAULT_SORT]
    if len(raw) > 1 or raw[0] not in SORTS:
        given = raw[0] if len(raw) == 1 else ",".join(raw)
        raise ValidationError(
            {
                "sort": _("%(value)r is not one of: %(known)s.")
                % {"value": given[:60], "known": _known(SORTS)}
            }
        )
    return SORTS[raw[0]]


def _custom_fields(raw: dict[str, list[str]]) -> dict[str, Any]:
    if not raw:
        return {}
    fields = {f.key: f for f in CustomField.objects.filter(is_active=True)}
    cleaned = {}
    for name, items in raw.items():
        key = name.removeprefix(CUSTOM_FIELD_PREFIX)
        if key not in fields:
            known = _known(CUSTOM_FIELD_PREFIX + k for k in fields)
            raise ValidationError(
                {name: _("No such custom field. Known: %(known)s.") % {"known": known}}
            )
        if len(items) != 1:
            raise ValidationError({name: _("Give one value.")})
        cleaned[key] = _custom_value(fields[key], name, clean_text(items[0], name))
    return cleaned


def _custom_value(custom: CustomField, name: str, text: str) -> Any:
    value: Any = text
    if custom.kind == FieldKind.CHECKBOX:
        value = {"true": True, "false": False}.get(text.lower(), text)
    try:
        return custom.clean_value(value)
    except ValidationError as error:
        raise ValidationError({name: error.messages}) from None


__all__ = ["FILTERS", "SORTS", "TicketFilter", "clean_text", "parse_id", "parse_time"]
