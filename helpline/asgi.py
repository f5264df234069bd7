"""The application `helpline serve` runs under uvicorn.

HTTP requests go to Django's WSGI handler on a fixed pool of threads (a2wsgi), not to
Django's ASGI handler. Every view is synchronous, and the ASGI handler runs each request's
sync code in a thread started for that request alone (asgiref's ThreadSensitiveContext):
on this 2-core machine that made a 401 take 5.6 ms instead of 1.3 and every API call about
6 ms slower (ADR 0004). The fixed pool also keeps each thread's database connection from
one request to the next, and bounds the requests that use the database at once to the
connection pool's size, so a burst queues instead of failing for want of a connection.

A pool thread must never wait on a client, or a few slow ones would stop the server:
- the request body is read here, on the event loop, before a thread takes the request
  (as Django's ASGI handler does), into memory or, past FILE_UPLOAD_MAX_MEMORY_SIZE, a
  temporary file; a body over MAX_BODY_BYTES is refused with 413 as soon as it shows;
- the response is queued without bound (`send_queue_size=0`), so the thread finishes
  while the event loop hands the response to the client at the client's pace.

WebSockets (live updates, chat) will be routed beside this to Channels' consumers.
"""

import os
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

CHUNK = 64 * 1024
# The largest body a view reads: an API request with attachments (DATA_UPLOAD_…) or a
# raw email posted to the inbound address (up to twice the mail limit is kept).
MAX_BODY_BYTES = (
    max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, 2 * settings.HELPLINE_MAX_EMAIL_BYTES) + CHUNK
)


class ReadBodyFirst:
    """Read an HTTP request's whole body before the wrapped application sees it."""

    def __init__(self, app: App, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            complete = await self._read(receive, body, send)
            if complete:
                body.seek(0)
                await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive, body: Any, send: Send) -> bool:
        """Whether the whole body arrived (False: the client left, or it was too big)."""
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _too_large(send)
                return False
            body.write(chunk)
            if not message.get("more_body", False):
                return True


def _replay(body: Any, receive: Receive) -> Receive:
    """A `receive` that gives the stored body again, then waits as the original does."""

    async def replayed() -> Message:
        if body.closed:  # all given: what comes now is the client leaving
            return await receive()
        chunk = body.read(CHUNK)
        if chunk:
            return {"type": "http.request", "body": chunk, "more_body": True}
        body.close()
        return {"type": "http.request", "body": b"", "more_body": False}

    return replayed


async def _too_large(send: Send) -> None:
    detail = b'{"detail": "The request body is too large."}'
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(detail)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": detail})


application = ReadBodyFirst(
    WSGIMiddleware(
        # Django's stubs type a WSGI handler's result as its HttpResponse, a2wsgi as
        # bytes: both are the iterable of bytes WSGI means.
        get_wsgi_application(),  # type: ignore[arg-type]
        workers=settings.HELPLINE_HTTP_THREADS,
        send_queue_size=0,  # unbounded: see above
    )
)
