"""A read built once: the rows its QuerySet gives, for any values, without rebuilding."""

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from helpline.contacts.models import Contact, ContactIdentity, IdentityKind
from helpline.lib.prepared import PreparedRead
from helpline.tickets.models import Ticket


class Counted:
    """A builder that counts how often it is asked for its QuerySet."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, *values):
        self.calls += 1
        return self.build(*values)


@pytest.mark.django_db
class TestPreparedRead:
    def test_it_gives_the_rows_of_its_queryset_for_each_value(self, dana, eve):
        def by_value(value):
            return ContactIdentity.objects.filter(kind=IdentityKind.EMAIL, value=value)

        read = PreparedRead(by_value)
        for address in ("dana@northwind.example", "eve@globex.example", "nobody@x.example"):
            assert read(address) == list(by_value(address))
        assert read("dana@northwind.example")[0].contact_id == dana.pk

    def test_the_queryset_is_built_once_for_a_shape(self, dana, eve):
        builder = Counted(lambda pk: Contact.objects.filter(pk=pk))
        read = PreparedRead(builder)
        assert [c.name for c in read(dana.pk)] == [dana.name]
        assert [c.name for c in read(eve.pk)] == [eve.name]
        assert builder.calls == 1

    def test_a_list_of_another_length_is_built_in_its_turn(self, dana, eve):
        builder = Counted(lambda values: ContactIdentity.objects.filter(value__in=values))
        read = PreparedRead(builder)
        assert len(read(["dana@northwind.example"])) == 1
        assert len(read(["dana@northwind.example", "eve@globex.example"])) == 2
        assert len(read(["eve@globex.example", "nobody@x.example"])) == 1
        assert builder.calls == 2

    def test_the_constants_of_the_queryset_stay_as_they_were_built(self, dana):
        ContactIdentity.objects.create(contact=dana, kind=IdentityKind.PHONE, value="+49 30 1")
        read = PreparedRead(
            lambda contact_id: ContactIdentity.objects.filter(
                Q(kind=IdentityKind.PHONE) & Q(contact_id=contact_id)
            )
        )
        assert [i.value for i in read(dana.pk)] == ["+49 30 1"]

    def test_every_value_is_a_parameter_never_sql(self, dana):
        """A hostile value reaches the database as data, whatever it holds."""
        read = PreparedRead(lambda value: ContactIdentity.objects.filter(value=value))
        assert read("x' OR '1'='1") == []
        assert read("dana@northwind.example' --") == []
        assert ContactIdentity.objects.filter(contact=dana).count() == 1

    def test_a_builder_that_changes_its_value_is_refused(self, dana):
        """It would run with the caller's value unchanged, and find other rows."""
        read = PreparedRead(lambda value: ContactIdentity.objects.filter(value=value.lower()))
        with pytest.raises(ValueError, match="a prepared read must pass them"):
            read("Dana@Northwind.example")

    def test_a_builder_that_writes_its_value_into_the_sql_is_refused(self, dana):
        read = PreparedRead(
            lambda value: ContactIdentity.objects.extra(where=[f"value = '{value}'"])  # noqa: S610
        )
        with pytest.raises(ValueError, match="a prepared read must pass them"):
            read("dana@northwind.example")

    def test_annotations_come_with_the_rows(self, dana):
        read = PreparedRead(
            lambda value: ContactIdentity.objects.annotate(lowered=Lower("value")).filter(
                value=value
            )
        )
        (identity,) = read("dana@northwind.example")
        assert identity.lowered == "dana@northwind.example"  # type: ignore[attr-defined]

    def test_fields_are_converted_as_the_orm_converts_them(self, ticket):
        read = PreparedRead(lambda pk: Ticket.objects.filter(pk=pk))
        (found,) = read(ticket.pk)
        assert (found.created_at, found.custom_fields) == (ticket.created_at, ticket.custom_fields)


@pytest.mark.django_db
class TestContactByEmail:
    def test_it_finds_the_contact_in_any_case_with_its_primary_email(self, dana):
        found = Contact.by_email("DANA@Northwind.Example")
        assert found == dana
        assert found is not None
        with CaptureQueriesContext(connection) as queries:
            assert found.primary_email == "dana@northwind.example"
        assert len(queries) == 0

    def test_an_unknown_address_is_none(self, dana):
        assert Contact.by_email("dana@southwind.example") is None

    def test_it_is_one_query(self, dana):
        Contact.by_email("dana@northwind.example")
        with CaptureQueriesContext(connection) as queries:
            Contact.by_email("dana@northwind.example")
        assert len(queries) == 1


@pytest.mark.django_db
class TestHostileShapes:
    """Probe findings: what a caller's values could make of the compiled SQL."""

    def test_lists_of_many_lengths_make_a_handful_of_shapes(self, dana):
        """A mail naming 4,000 Message-IDs, then 4,001, … kept one SQL each, forever."""
        builder = Counted(lambda values: ContactIdentity.objects.filter(value__in=values))
        read = PreparedRead(builder)
        for length in range(1, 300):
            found = read(["dana@northwind.example", *[f"x{n}@y.example" for n in range(length)]])
            assert [i.value for i in found] == ["dana@northwind.example"]
        assert builder.calls == 9  # 2, 4, 8, … 512 elements

    def test_a_builder_that_escapes_its_value_for_like_is_refused(self, dana):
        """`iexact` escapes `_` and `%` for a LIKE on SQLite: the caller's value would
        not be, and `d_na` would match `dana`. PostgreSQL compares `UPPER()`s instead,
        with the value as it is, so there the read is right and allowed."""
        read = PreparedRead(lambda value: ContactIdentity.objects.filter(value__iexact=value))
        if connection.vendor == "sqlite":
            with pytest.raises(ValueError, match="a prepared read must pass them"):
                read("d_na@northwind.example")
        else:
            assert read("d_na@northwind.example") == []
            assert len(read("DANA@northwind.example")) == 1

    def test_a_bool_is_refused(self, dana):
        read = PreparedRead(lambda value: ContactIdentity.objects.filter(is_primary=value))
        with pytest.raises(TypeError):
            read(True)
