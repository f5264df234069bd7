"""API authentication: an agent's bearer token, or the agent's browser session.

The two are tried in this order. The session is CSRF-checked, but only when there is
a signed-in session to protect: a script with no session and a missing, wrong or
revoked token must hear 401 with `WWW-Authenticate` (what it can fix), not the
session's "CSRF check Failed" 403 (which it cannot). A signed-in browser that leaves
out the CSRF token still gets the 403.
"""

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from helpline.accounts.actions import authenticate_token
from helpline.accounts.models import User

REALM = "Helpline API"


def agent(request: HttpRequest) -> User:
    """The agent an authenticated API request acts for (set by one of the auths below)."""
    return request.auth  # type: ignore[attr-defined]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if len(token) > 200:
            return None
        return authenticate_token(token)


class AgentSession(APIKeyCookie):
    """The signed-in agent, for the docs page and the workspace's own calls (CSRF-checked)."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        if not _signed_in_agent(request):
            return None  # nothing to forge a request for: no CSRF check, no session
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if _signed_in_agent(request) else None


def _signed_in_agent(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active)


def challenge(request: HttpRequest) -> str:
    """The WWW-Authenticate value of a 401 (RFC 6750: say when a token was refused)."""
    if request.headers.get("Authorization"):
        return f'Bearer realm="{REALM}", error="invalid_token"'
    return f'Bearer realm="{REALM}"'
