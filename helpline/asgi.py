"""The application `helpline serve` runs under uvicorn.

HTTP requests go to Django's WSGI handler on a fixed pool of threads, not to Django's
ASGI handler. Every view is synchronous, and the ASGI handler runs each request's sync
code in a thread started for that request alone (asgiref's ThreadSensitiveContext): on
this 2-core machine that made a 401 take 5.6 ms instead of 1.3 and every API call about
6 ms slower (ADR 0004). The fixed pool also keeps each thread's database connection from
one request to the next, and bounds the requests that use the database at once to the
connection pool's size, so a burst queues instead of failing for want of a connection.

A pool thread never waits on a client, or a few slow ones would stop the server:
- the request body is read here, on the event loop, before a thread takes the request
  (as Django's ASGI handler does), into memory or, past FILE_UPLOAD_MAX_MEMORY_SIZE, a
  temporary file; a body declared or found to be over MAX_BODY_BYTES is refused with
  413 at once;
- the thread returns the whole response: a page or a JSON document as its bytes, a file
  (an attachment, a static file) as an open file that the event loop sends on, a block at
  a time and at the client's pace. A client that stops reading holds a block and a file
  descriptor, never a thread nor a copy of the file.

WebSockets (live updates, chat) will be routed beside this to Channels' consumers.
"""

import asyncio
import contextvars
import functools
import io
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from a2wsgi.wsgi import build_environ
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

CHUNK = 64 * 1024
# The largest body a view reads: an API request with attachments (DATA_UPLOAD_…) or a
# raw email posted to the inbound address (up to twice the mail limit is kept).
MAX_BODY_BYTES = (
    max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, 2 * settings.HELPLINE_MAX_EMAIL_BYTES) + CHUNK
)


class FileToStream:
    """`wsgi.file_wrapper`: how Django hands over a file response's file (PEP 3333)."""

    def __init__(self, filelike: IO[bytes], block_size: int = CHUNK) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> Any:
        return iter(functools.partial(self.filelike.read, self.block_size), b"")

    def close(self) -> None:
        self.filelike.close()  # Django's response.close: request_finished, its files

    def reopened(self) -> IO[bytes] | None:
        """The same file on a descriptor of its own, at the same place, or None for a
        file-like object that is no file (then it is read whole in the thread)."""
        try:
            descriptor = self.filelike.fileno()
            position = self.filelike.tell()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None
        stream = os.fdopen(os.dup(descriptor), "rb")
        stream.seek(position)
        return stream


@dataclass
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: list[bytes] = field(default_factory=list)
    stream: IO[bytes] | None = None

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        try:
            for chunk in self.body:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            while self.stream and (chunk := await asyncio.to_thread(self.stream.read, CHUNK)):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            if self.stream:
                self.stream.close()
        await send({"type": "http.response.body", "body": b""})


class ThreadPoolWSGI:
    """An ASGI application running a WSGI one on a fixed pool of threads (HTTP only)."""

    def __init__(self, app: WSGIApp, *, threads: int, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
            return
        if scope["type"] != "http":
            return
        if _declared_length(scope) > self.max_body:
            await _too_large(send)
            return
        with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
            if not await self._read(receive, body, send):
                return
            body.seek(0)
            # a2wsgi's environ (PEP 3333 from an ASGI scope), as a plain dict.
            environ: dict[str, Any] = dict(build_environ(scope, body))  # type: ignore[arg-type]
            environ["wsgi.file_wrapper"] = FileToStream
            run = functools.partial(contextvars.copy_context().run, self._respond, environ)
            response = await asyncio.get_running_loop().run_in_executor(self.pool, run)
        await response.send(send)

    async def _read(self, receive: Receive, body: IO[bytes], send: Send) -> bool:
        """Whether the whole body arrived (False: the client left, or it was too big)."""
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _too_large(send)
                return False
            body.write(chunk)
            if not message.get("more_body", False):
                return True

    def _respond(self, environ: dict[str, Any]) -> Response:
        """In a pool thread: the WSGI application's whole response, its file reopened
        for the event loop to send. The response is closed here, in the thread that
        made it (Django's request_finished returns this thread's database connection)."""
        started: dict[str, Any] = {}
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]
            return written.append

        result = self.app(environ, start_response)
        try:
            stream = result.reopened() if isinstance(result, FileToStream) else None
            body = written if stream else [*written, *result]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Response(started["status"], started["headers"], body, stream)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # uvicorn refuses a malformed length before we see it
    return 0


async def _too_large(send: Send) -> None:
    detail = b'{"detail": "The request body is too large."}'
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(detail)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": detail})


application = ThreadPoolWSGI(get_wsgi_application(), threads=settings.HELPLINE_HTTP_THREADS)
