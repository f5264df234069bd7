"""The fixed cast every test can use, and the API client.

Cast: Alice (admin), Bob (agent in Customer Success, sees only his team's
tickets), Carol (agent in Technical Support, sees everything), Lee (light
agent); customers Dana (Northwind) and Eve (Globex).
"""

import base64
import importlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connections
from django.test import Client

from helpline.accounts.actions import create_api_token
from helpline.accounts.models import Role, Team, User
from helpline.contacts.actions import create_contact, create_organization
from helpline.contacts.models import Contact, Organization
from helpline.tickets import actions
from helpline.tickets.models import Ticket

create_statuses = importlib.import_module(
    "helpline.tickets.migrations.0002_default_statuses"
).create_statuses


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Threads return their connections to PostgreSQL's pool; close it before the test
    database is dropped, or the drop fails on "being accessed by other users"."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            connection.close_pool()  # type: ignore[attr-defined]
            # The live server's request threads may still hold one; end it too.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "files"
    # The cast is created for every test; real password hashing would dominate the run.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # to check the demo's passwords
    ]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """The local-memory cache outlives a test; sign-in locks must not leak into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_statuses(request) -> None:
    """Transactional tests flush the tables, including the statuses a migration seeds."""
    if "transactional_db" in request.fixturenames or _is_transactional(request):
        request.getfixturevalue("transactional_db")
        create_statuses(django_apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture
def success_team(db) -> Team:
    return Team.objects.create(name="Customer Success")


@pytest.fixture
def tech_team(db) -> Team:
    return Team.objects.create(name="Technical Support")


def _agent(email: str, name: str, role: str = Role.AGENT, **extra: Any) -> User:
    return User.objects.create_user(email, "correct horse battery", name=name, role=role, **extra)


@pytest.fixture
def alice(db) -> User:
    return _agent("alice@helpline.test", "Alice Admin", Role.ADMIN)


@pytest.fixture
def bob(success_team) -> User:
    user = _agent("bob@helpline.test", "Bob Agent", sees_all_tickets=False)
    success_team.members.add(user)
    return user


@pytest.fixture
def carol(tech_team) -> User:
    user = _agent("carol@helpline.test", "Carol Agent")
    tech_team.members.add(user)
    return user


@pytest.fixture
def lee(db) -> User:
    return _agent("lee@helpline.test", "Lee Light", Role.LIGHT_AGENT)


@pytest.fixture
def northwind(db) -> Organization:
    return create_organization(name="Northwind", domains=["northwind.example"], acting_user=None)  # type: ignore[arg-type]


@pytest.fixture
def globex(db) -> Organization:
    return create_organization(name="Globex", domains=["globex.example"], acting_user=None)  # type: ignore[arg-type]


@pytest.fixture
def dana(northwind) -> Contact:
    return create_contact(emails=["dana@northwind.example"], name="Dana Customer", acting_user=None)


@pytest.fixture
def eve(globex) -> Contact:
    return create_contact(emails=["eve@globex.example"], name="Eve Customer", acting_user=None)


@pytest.fixture
def ticket(dana, tech_team) -> Ticket:
    """Dana's ticket, in Technical Support: Bob (Customer Success only) cannot see it."""
    return actions.create_ticket(
        acting_user=None, requester=dana, subject="Printer on fire",
        body="It started smoking after the update.", channel="email", team=tech_team,
    )  # fmt: skip


class ApiClient:
    """A test client speaking JSON to /api/v1 as one agent (by bearer token)."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, raw = create_api_token(user=user, name="tests", acting_user=None)
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        call = getattr(self.client, method)
        url = f"/api/v1{path}"
        if method in {"get", "delete"}:
            return call(url, params or None, headers=self.headers)
        return call(url, json, content_type="application/json", headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, json: Any = None) -> Any:
        return self._call("post", path, json if json is not None else {})

    def patch(self, path: str, json: Any) -> Any:
        return self._call("patch", path, json)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)

    def created(self, response: Any) -> dict[str, Any]:
        """The whole ticket a 201 from POST /tickets points at (`Location`)."""
        assert response.status_code == 201, response.content
        detail = self.get(response["Location"].removeprefix("/api/v1"))
        assert detail.status_code == 200, detail.content
        return dict(detail.json())


@pytest.fixture
def api_as() -> type[ApiClient]:
    return ApiClient


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


REDIS_SERVER = Path("/usr/bin/redis-server")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A throwaway Redis on a loopback port, for code that must work on a shared cache."""
    if not REDIS_SERVER.exists():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - a fixed program, arguments we build
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_cache(redis_url, settings) -> Iterator[None]:
    """The default cache is the Redis above for this test (emptied before and after)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _ticket_numbers_from_1001(request) -> None:
    """PostgreSQL's ticket number sequence is not rolled back with a test's transaction
    (nextval never is): each test starts it again, as the counter row does by itself."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    if connection.vendor == "postgresql":
        from helpline.tickets.models import Counter

        Counter.set("ticket", 1000)
