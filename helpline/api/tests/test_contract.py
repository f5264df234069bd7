"""The API's shared contract: 401 with a challenge, 415, unknown query parameters,
non-object bodies, and the error answers the OpenAPI document declares."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.actions import create_api_token
from helpline.accounts.models import ApiToken
from helpline.testing import error_fields as fields
from helpline.testing import row_counts as counts
from helpline.testing import ticket_state as state


@pytest.fixture
def api(api_as, carol):
    return api_as(carol)


def raw(api, method: str, path: str, body: str, content_type: str = "application/json") -> Any:
    call = getattr(api.client, method)
    return call(f"/api/v1{path}", body, content_type=content_type, headers=api.headers)


@pytest.mark.django_db
class TestUnauthenticatedWrites:
    """Today's bug: a write without a usable token answered 403 "CSRF check Failed"."""

    def _post(self, headers: dict[str, str]) -> Any:
        return Client().post(
            "/api/v1/tickets", {"subject": "x"}, content_type="application/json", headers=headers
        )

    def test_it_answers_401_with_a_challenge_without_a_token(self, carol):
        response = self._post({})
        assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
        assert response["WWW-Authenticate"] == 'Bearer realm="Helpline API"'

    @pytest.mark.parametrize("header", ["Bearer hl_wrong", "Bearer " + "x" * 300, "Basic abc"])
    def test_it_answers_401_to_a_wrong_token(self, carol, header):
        response = self._post({"Authorization": header})
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Bearer realm="Helpline API"')

    def test_it_answers_401_to_a_revoked_token(self, carol, ticket):
        token, raw_token = create_api_token(user=carol, name="t", acting_user=None)
        headers = {"Authorization": f"Bearer {raw_token}"}
        assert Client().get("/api/v1/tickets", headers=headers).status_code == 200
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        response = Client().post(
            f"/api/v1/tickets/{ticket.number}/notes", {"body": "x"},
            content_type="application/json", headers=headers,
        )  # fmt: skip
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    def test_a_valid_token_still_writes(self, api, ticket):
        response = api.post(f"/tickets/{ticket.number}/notes", {"body": "x"})
        assert response.status_code == 201


@pytest.mark.django_db
class TestBrowserSession:
    def _session(self, user) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    def test_a_session_write_without_the_csrf_token_is_still_403(self, carol, ticket):
        before = state(ticket)
        response = self._session(carol).post(
            f"/api/v1/tickets/{ticket.number}/notes", {"body": "x"},
            content_type="application/json",
        )  # fmt: skip
        assert (response.status_code, response.json()) == (403, {"detail": "CSRF check Failed"})
        assert state(ticket) == before

    def test_a_session_write_with_the_csrf_token_works(self, carol, ticket):
        client = self._session(carol)
        client.get("/api/v1/docs")  # sets the csrftoken cookie
        client.get("/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            f"/api/v1/tickets/{ticket.number}/notes", {"body": "x"},
            content_type="application/json", headers={"X-CSRFToken": token},
        )  # fmt: skip
        assert response.status_code == 201

    def test_a_session_reads_without_a_token(self, carol, ticket):
        assert self._session(carol).get(f"/api/v1/tickets/{ticket.number}").status_code == 200


@pytest.mark.django_db
class TestContentType:
    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("application/x-www-form-urlencoded", "body=hello"),
            ("text/plain", '{"body": "hello"}'),
            ("multipart/form-data; boundary=x", "--x\r\n\r\nhello\r\n--x--"),
            ("application/xml", "<body>hello</body>"),
        ],
    )
    def test_it_answers_415_to_a_body_that_is_not_json(self, api, ticket, content_type, body):
        before = state(ticket)
        response = raw(api, "post", f"/tickets/{ticket.number}/notes", body, content_type)
        assert response.status_code == 415
        assert "application/json" in response.json()["detail"]
        assert state(ticket) == before

    @pytest.mark.parametrize(
        ("method", "path"),
        [("post", "/tickets"), ("patch", "/tickets/{n}"), ("post", "/contacts"),
         ("patch", "/contacts/{c}"), ("post", "/organizations"), ("patch", "/organizations/{o}")],
    )  # fmt: skip
    def test_every_write_with_a_body_answers_415(self, api, ticket, dana, method, path):
        path = path.format(n=ticket.number, c=dana.pk, o=dana.organization_id)
        before = counts()
        assert (
            raw(api, method, path, "name=x", "application/x-www-form-urlencoded").status_code == 415
        )
        assert counts() == before

    @pytest.mark.parametrize(
        "content_type",
        ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"],
    )
    def test_it_accepts_json_by_any_json_type(self, api, ticket, content_type):
        response = raw(
            api, "post", f"/tickets/{ticket.number}/notes", '{"body": "hi"}', content_type
        )
        assert response.status_code == 201


@pytest.mark.django_db
class TestNonObjectBodies:
    @pytest.mark.parametrize("body", ["[1, 2]", "[]", "null", '"open"', "42", "true"])
    @pytest.mark.parametrize("path", ["/tickets/{n}", "/contacts/{c}", "/organizations/{o}"])
    def test_a_patch_that_is_not_an_object_is_422(self, api, ticket, dana, path, body):
        path = path.format(n=ticket.number, c=dana.pk, o=dana.organization_id)
        before = state(ticket)
        response = raw(api, "patch", path, body)
        assert fields(response) == ["payload"]
        assert response.json()["detail"][0]["msg"] == "Send a JSON object."
        assert state(ticket) == before

    def test_a_patch_with_an_object_still_changes(self, api, ticket):
        response = raw(api, "patch", f"/tickets/{ticket.number}", '{"priority": "high"}')
        assert (response.status_code, response.json()["priority"]) == (200, "high")


@pytest.mark.django_db
class TestUnknownQueryParameters:
    @pytest.mark.parametrize(
        ("path", "params", "known"),
        [
            ("/contacts", {"priority": "high"}, "cursor, limit, organization, q"),
            ("/contacts", {"organisation": "1"}, "cursor, limit, organization, q"),
            ("/organizations", {"q": "hooli"}, None),
            ("/tickets/{n}", {"fields": "subject"}, None),
            ("/tickets/{n}/events", {"limit": "5"}, None),
        ],
    )
    def test_it_answers_422_naming_the_known_ones(self, api, ticket, path, params, known):
        response = api.get(path.format(n=ticket.number), **params)
        name = next(iter(params))
        assert fields(response) == [name]
        error = response.json()["detail"][0]
        assert error["loc"] == ["query", name]
        assert error["type"] == "unknown_parameter"
        if known:
            assert error["msg"].endswith(f"Known: {known}.")
        else:
            assert error["msg"].endswith("This endpoint takes none.")

    def test_it_names_every_unknown_parameter(self, api):
        assert fields(api.get("/contacts", a="1", b="2", q="x")) == ["a", "b"]

    def test_writes_refuse_unknown_query_parameters_too(self, api, ticket):
        before = state(ticket)
        response = api.client.post(
            f"/api/v1/tickets/{ticket.number}/notes?notify=1", {"body": "x"},
            content_type="application/json", headers=api.headers,
        )  # fmt: skip
        assert fields(response) == ["notify"]
        assert state(ticket) == before

    def test_known_parameters_still_answer(self, api, ticket, dana):
        assert api.get("/contacts", q="Dana", limit=5).json()["items"][0]["id"] == dana.pk
        assert api.get(f"/tickets/{ticket.number}").status_code == 200


@pytest.mark.django_db
class TestOpenApiErrors:
    @pytest.fixture
    def document(self, client) -> dict[str, Any]:
        return client.get("/api/v1/openapi.json").json()

    def test_it_declares_the_error_answers_of_each_operation(self, document):
        paths = document["paths"]
        assert set(paths["/api/v1/tickets"]["post"]["responses"]) == {
            "201", "400", "401", "403", "413", "415", "422",
        }  # fmt: skip
        assert set(paths["/api/v1/tickets/{number}"]["get"]["responses"]) == {
            "200", "401", "404", "422",
        }  # fmt: skip
        assert set(paths["/api/v1/contacts"]["get"]["responses"]) == {"200", "401", "422"}
        assert set(paths["/api/v1/contacts/{contact_id}"]["delete"]["responses"]) == {
            "204", "401", "403", "404", "422",
        }  # fmt: skip

    def test_each_error_answer_has_a_schema(self, document):
        for methods in document["paths"].values():
            for operation in methods.values():
                for status, response in operation["responses"].items():
                    if status.startswith("4"):
                        ref = response["content"]["application/json"]["schema"]["$ref"]
                        name = ref.rsplit("/", 1)[-1]
                        assert name in document["components"]["schemas"]
        errors = document["components"]["schemas"]["ValidationError"]
        assert errors["properties"]["detail"]["type"] == "array"

    def test_ids_are_bounded_in_the_document(self, document):
        parameters = document["paths"]["/api/v1/contacts/{contact_id}"]["get"]["parameters"]
        schema = parameters[0]["schema"]
        assert (schema["minimum"], schema["maximum"]) == (1, 2**63 - 1)


@pytest.mark.django_db
class TestTooBig:
    def test_an_oversized_body_is_413_json(self, api, ticket, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1_048_576
        before = state(ticket)
        body = '{"body": "' + "x" * (3 * 1_048_576) + '"}'
        response = raw(api, "post", f"/tickets/{ticket.number}/notes", body)
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["detail"].startswith("The request body is over 2 MB")
        assert state(ticket) == before

    def test_a_body_under_the_limit_is_taken(self, api, ticket, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1_048_576
        body = '{"body": "' + "x" * 900_000 + '"}'
        assert raw(api, "post", f"/tickets/{ticket.number}/notes", body).status_code == 201
