import pytest
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_the_openapi_document_validates(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    assert "/api/v1/tickets" in paths
    assert "/api/v1/tickets/{number}/merge" in paths
    assert "/api/v1/contacts/{contact_id}" in paths
    assert set(document["components"]["securitySchemes"]) == {"TokenAuth", "AgentSession"}


@pytest.mark.django_db
def test_the_docs_page_is_served(client):
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_the_docs_page_uses_no_cdn(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page
