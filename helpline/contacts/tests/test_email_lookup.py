"""Finding a contact by email (`Contact.objects.with_email`), on every ticket created and
every address of every mail: it must be a lookup of the unique index, not a scan."""

import pytest
from django.db import connection

from helpline.contacts.actions import create_contact
from helpline.contacts.models import Contact


@pytest.mark.django_db
def test_it_finds_a_contact_by_any_of_their_emails_in_any_case():
    dana = create_contact(emails=["dana@northwind.example", "d@nw.example"], acting_user=None)
    create_contact(emails=["eve@globex.example"], acting_user=None)
    assert list(Contact.objects.with_email("Dana@Northwind.EXAMPLE")) == [dana]
    assert list(Contact.objects.with_email("d@nw.example")) == [dana]
    assert list(Contact.objects.with_email("nobody@nw.example")) == []


@pytest.mark.django_db
def test_it_reads_the_unique_index_not_every_identity():
    create_contact(emails=["dana@northwind.example"], acting_user=None)
    sql, params = Contact.objects.with_email("dana@northwind.example").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The tables are tiny here: make the planner show the index it can use.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "identity_unique_value" in plan, plan
    if connection.vendor == "postgresql":  # looked up by the address, not read whole
        assert "Index Cond: ((lower((value)::text)" in plan, plan


@pytest.mark.django_db
def test_the_primary_email_comes_with_the_lookup_and_follows_a_change(carol):
    from django.test.utils import CaptureQueriesContext

    from helpline.contacts.actions import update_contact

    created = create_contact(emails=["First@X.example", "second@x.example"], acting_user=carol)
    with CaptureQueriesContext(connection) as captured:
        assert created.primary_email == "first@x.example"
        found = Contact.objects.with_email("SECOND@x.example").get()
        assert found.primary_email == "first@x.example"  # the primary one, not the one asked
    assert len(captured) == 1
    update_contact(contact=found, acting_user=carol, emails=["third@x.example", "second@x.example"])
    assert found.primary_email == "third@x.example"
    assert Contact.objects.with_email("second@x.example").get().primary_email == "third@x.example"
    assert Contact.objects.get(pk=found.pk).primary_email == "third@x.example"  # no annotation
