"""A real IMAP server per test: see dovecot.py.

`dovecot` is a running DovecotServer with one mailbox (`MAILBOX`, `PASSWORD`);
`make_dovecot(users)` starts more (`start=False` to configure one before it starts).
Both skip when Dovecot is missing, and fail instead when CI=true.

`smtp` is a real SMTP server on loopback that Helpline's outgoing mail is sent to.
"""

import logging
from collections.abc import Callable, Iterator
from itertools import count

import pytest

from helpline.mail.tests.dovecot import MAILBOX, PASSWORD, DovecotServer, require_dovecot
from helpline.mail.tests.smtp_server import SmtpServer

_SERVERS = pytest.StashKey[list[DovecotServer]]()


@pytest.fixture
def make_dovecot(request, tmp_path) -> Iterator[Callable[..., DovecotServer]]:
    require_dovecot()
    servers = request.node.stash.setdefault(_SERVERS, [])
    numbers = count(1)

    def make(users: dict[str, str] | None = None, *, start: bool = True) -> DovecotServer:
        server = DovecotServer(tmp_path / f"dovecot-{next(numbers)}")
        servers.append(server)
        for name, password in (users or {}).items():
            server.add_user(name, password)
        if start:
            server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def dovecot(make_dovecot) -> DovecotServer:
    return make_dovecot({MAILBOX: PASSWORD})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that ran Dovecot shows Dovecot's log with its output."""
    report = yield
    if report.failed:
        for server in item.stash.get(_SERVERS, []):
            report.sections.append((f"dovecot log ({server.directory})", server.log()))
    return report


@pytest.fixture(scope="session", autouse=True)
def _quiet_smtp_servers() -> None:
    """aiosmtpd logs each connection at INFO from its own thread, often after the test
    that opened it has ended and pytest has closed that test's captured stderr."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 1},
            }
        }
        yield server
