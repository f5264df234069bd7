"""A schema-driven fuzz of the whole API: schemathesis reads /api/v1/openapi.json and
sends generated requests (valid and invalid) to every operation, through Django's WSGI
application in this process, so it runs on whichever database the suite uses.

Every answer must be below 500, carry a status code the document declares, and match
the declared schema and content type. Bounded (a fixed number of examples per
operation, derandomised) so it stays well under a minute on SQLite; select it alone
with `-m fuzz`.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from helpline.accounts.actions import create_api_token
from helpline.tickets import actions
from helpline.tickets.files import Upload

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _wsgi(db, settings) -> Iterator[None]:
    settings.ALLOWED_HOSTS = ["localhost"]
    # As Django's test client does: a finished request must not close the test's
    # connection (its transaction holds the test data).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(alice, carol, bob, lee, dana, eve, ticket) -> dict[str, Any]:
    """Real rows for the generated requests to find: the ids a path may name."""
    reply = actions.reply(
        ticket=ticket, acting_user=carol, body="We are on it.", channel="api",
        attachments=[Upload(filename="log.txt", content=b"hello")],
    )  # fmt: skip
    _token, raw = create_api_token(user=alice, name="fuzz", acting_user=None)
    return {
        "headers": {"Authorization": f"Bearer {raw}"},
        "ids": {
            "number": ticket.number,
            "message_id": reply.pk,
            "attachment_id": reply.attachments.get().pk,
            "contact_id": eve.pk,
            "org_id": eve.organization_id,
        },
    }


# Loaded once, at collection: the document needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_generated_request_within_its_contract(case, world):
    headers = world["headers"]
    case.call_and_validate(headers=headers, checks=CHECKS)
    if case.path_parameters:
        # The same request again, aimed at rows that exist, so the endpoint's body runs.
        case.path_parameters = {
            name: world["ids"].get(name, value) for name, value in case.path_parameters.items()
        }
        case.call_and_validate(headers=headers, checks=CHECKS)
