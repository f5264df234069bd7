import pytest

from helpline.conftest import b64


@pytest.mark.django_db
def test_it_creates_lists_and_replies(api_as, carol):
    api = api_as(carol)
    response = api.post(
        "/tickets",
        {
            "subject": "Export broken",
            "body": "It fails",
            "requester_email": "New.Person@Initech.example",
            "tags": ["bug", "Export"],
            "attachments": [{"filename": "../../etc/passwd", "content_base64": b64(b"hello")}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["email"] == "new.person@initech.example"
    assert body["tags"] == ["bug", "export"]
    attachment = body["messages"][0]["attachments"][0]
    assert attachment["filename"] == "passwd"
    download = api.get(attachment["url"].removeprefix("/api/v1"))
    assert b"".join(download.streaming_content) == b"hello"
    listing = api.get("/tickets").json()
    assert [t["number"] for t in listing["items"]] == [body["number"]]
    reply = api.post(f"/tickets/{body['number']}/replies", {"body": "Fixed", "status": "solved"})
    assert reply.status_code == 201
    assert api.get(f"/tickets/{body['number']}").json()["status"] == "solved"
