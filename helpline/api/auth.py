"""API authentication: an agent's bearer token, or the agent's browser session."""

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from helpline.accounts.actions import authenticate_token
from helpline.accounts.models import User


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

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None
