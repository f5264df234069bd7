"""What `helpline serve` runs (helpline/asgi.py), driven as uvicorn drives it: slow or
stuck clients never hold one of the pool's threads, and every body arrives whole.

Each test runs the real application (a2wsgi, Django, the database) in-process on an
asyncio loop, with clients that send or read nothing more at chosen points.
"""

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from django.conf import settings

from helpline.accounts.actions import create_api_token
from helpline.asgi import ThreadPoolWSGI, application
from helpline.tickets import actions
from helpline.tickets.files import Upload
from helpline.tickets.models import Ticket

STUCK_CLIENTS = settings.HELPLINE_HTTP_THREADS + 2
PATIENCE = 10  # seconds a request of a free client may take on a slow, busy machine


def scope(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    path, _, query = path.partition("?")
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"127.0.0.1")]
        + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def forever() -> Any:
    await asyncio.Event().wait()


class Client:
    """One request: its body given in `chunks` (then, if `stall_after_body`, nothing more),
    and its response collected unless `stall_reading` (the first body part never sent)."""

    def __init__(self, chunks: list[bytes], *, stall_after_body: bool = False,
                 stall_reading: bool = False) -> None:  # fmt: skip
        self.chunks = list(chunks)
        self.stall_after_body = stall_after_body
        self.stall_reading = stall_reading
        self.status = 0
        self.body = b""

    async def receive(self) -> dict[str, Any]:
        if self.chunks:
            chunk = self.chunks.pop(0)
            more = bool(self.chunks) or self.stall_after_body
            return {"type": "http.request", "body": chunk, "more_body": more}
        return await forever()  # a body never finished, or a client that never leaves

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif self.stall_reading:
            await forever()
        else:
            self.body += message.get("body", b"")


async def request(app: Callable[..., Awaitable[None]], client: Client, *args: Any) -> Client:
    await app(scope(*args), client.receive, client.send)
    return client


def run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def attached(carol, dana, team, content: bytes) -> str:
    """The API path of a new ticket's attachment holding `content`."""
    ticket = actions.create_ticket(
        acting_user=carol, requester=dana, subject="Logs", body="Attached.", team=team,
        attachments=[Upload("logs.bin", content, "application/octet-stream")],
    )  # fmt: skip
    return f"/api/v1/attachments/{ticket.messages.get().attachments.get().pk}"


def stuck_downloads(path: str, headers: dict[str, str]) -> list[asyncio.Task[Client]]:
    """STUCK_CLIENTS downloads of `path` by clients that never read a byte of the body."""
    return [
        asyncio.create_task(
            request(application, Client([b""], stall_reading=True), "GET", path, headers)
        )
        for _ in range(STUCK_CLIENTS)
    ]


@pytest.fixture
def token(carol) -> str:
    return create_api_token(user=carol, name="serving", acting_user=None)[1]


@pytest.mark.django_db(transaction=True)
def test_clients_that_never_finish_their_body_hold_no_thread(token):
    async def scenario() -> Client:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json",
                   "content-length": "500"}  # fmt: skip
        post = ("POST", "/api/v1/tickets", headers)
        stuck = [
            asyncio.create_task(
                request(application, Client([b'{"subj'], stall_after_body=True), *post)
            )
            for _ in range(STUCK_CLIENTS)
        ]
        await asyncio.sleep(0.5)
        try:
            return await asyncio.wait_for(
                request(application, Client([b""]), "GET", "/healthz"), PATIENCE
            )
        finally:
            for task in stuck:
                task.cancel()

    answered = run(scenario())
    assert answered.status == 200
    assert json.loads(answered.body) == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_clients_that_stop_reading_a_download_hold_no_thread(carol, dana, tech_team, token):
    content = bytes(range(256)) * 8192  # 2 MiB: hundreds of parts to send
    download = attached(carol, dana, tech_team, content)
    auth = {"authorization": f"Bearer {token}"}

    async def scenario() -> tuple[Client, Client]:
        stuck = stuck_downloads(download, auth)
        await asyncio.sleep(0.5)
        try:
            health = await asyncio.wait_for(
                request(application, Client([b""]), "GET", "/healthz"), PATIENCE
            )
            whole = await asyncio.wait_for(
                request(application, Client([b""]), "GET", download, auth), PATIENCE
            )
            return health, whole
        finally:
            for task in stuck:
                task.cancel()

    health, whole = run(scenario())
    assert health.status == 200
    assert whole.status == 200
    assert whole.body == content


@pytest.mark.django_db(transaction=True)
def test_a_body_in_many_parts_and_past_the_memory_limit_arrives_whole(token):
    attachment = bytes(range(256)) * (settings.FILE_UPLOAD_MAX_MEMORY_SIZE // 256 + 100)
    body = json.dumps({
        "subject": "Big upload", "body": "See attached.", "requester_email": "big@example.com",
        "attachments": [{"filename": "big.bin",
                         "content_base64": base64.b64encode(attachment).decode()}],
    }).encode()  # fmt: skip
    assert len(body) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # kept in a temporary file
    parts = [body[i : i + 10_000] for i in range(0, len(body), 10_000)]
    created = run(request(
        application, Client(parts), "POST", "/api/v1/tickets",
        {"authorization": f"Bearer {token}", "content-type": "application/json",
         "content-length": str(len(body))},
    ))  # fmt: skip
    assert created.status == 201, created.body
    ticket = Ticket.objects.get(number=json.loads(created.body)["number"])
    assert ticket.messages.get().attachments.get().blob.size == len(attachment)


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_limit_is_refused_as_soon_as_it_shows(token):
    limited = ThreadPoolWSGI(application.app, threads=2, max_body=1000)
    client = Client([b"x" * 600, b"x" * 600, b"never read"], stall_after_body=True)
    refused = run(asyncio.wait_for(request(
        limited, client, "POST", "/api/v1/tickets",
        {"authorization": f"Bearer {token}", "content-type": "application/json"},
    ), PATIENCE))  # fmt: skip
    assert refused.status == 413
    assert json.loads(refused.body) == {"detail": "The request body is too large."}
    assert client.chunks == [b"never read"]
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_declared_content_length_over_the_limit_is_refused_before_the_body(token):
    # Probe: a client that announces a body far over the limit is read (into memory,
    # then a temporary file) until the limit shows; before authentication, and with no
    # end if it sends the body slowly. The header alone already says it will be refused.
    limited = ThreadPoolWSGI(application.app, threads=2, max_body=1000)
    client = Client([b"x" * 10, b"never read"], stall_after_body=True)
    refused = run(asyncio.wait_for(request(
        limited, client, "POST", "/api/v1/tickets",
        {"authorization": f"Bearer {token}", "content-type": "application/json",
         "content-length": str(10**12)},
    ), 3))  # fmt: skip
    assert refused.status == 413
    assert json.loads(refused.body) == {"detail": "The request body is too large."}


@pytest.mark.django_db(transaction=True)
def test_clients_that_stop_reading_a_download_do_not_make_the_server_hold_the_file(
    carol, dana, tech_team, token
):
    # Found by the probe: when the pool thread queued every part of the file for a
    # client that read nothing, each stuck download kept the whole attachment in memory
    # for as long as its connection stayed open (live: 20 stuck downloads of a 20 MB
    # attachment took the server from 198 to 466 MB). The event loop now sends the file
    # from its own descriptor, a block at a time.
    import tracemalloc

    content = bytes(range(256)) * 4096 * 8  # 8 MiB
    download = attached(carol, dana, tech_team, content)
    auth = {"authorization": f"Bearer {token}"}

    async def scenario() -> int:
        stuck = stuck_downloads(download, auth)
        try:
            await asyncio.wait_for(
                request(application, Client([b""]), "GET", "/healthz"), PATIENCE * 3
            )
            await asyncio.sleep(2)  # the threads have queued what they will queue
            return tracemalloc.get_traced_memory()[0]
        finally:
            for task in stuck:
                task.cancel()

    tracemalloc.start()
    try:
        held = run(scenario())
    finally:
        tracemalloc.stop()
    # Ten stuck clients may cost a few parts each, not ten copies of the file.
    assert held < 2 * len(content), f"{held / 2**20:.0f} MiB held for {STUCK_CLIENTS} stuck clients"
