"""API v1: the routers of every app under /api/v1/, with one error format."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from helpline.accounts.access import NoPermission
from helpline.accounts.api_auth import AgentSession, TokenAuth, challenge
from helpline.api import contract
from helpline.api.openapi import add_error_responses
from helpline.contacts.api import router as contacts_router
from helpline.lib.csp import allow_data_images
from helpline.mail.api import router as mail_router
from helpline.tickets.api import router as tickets_router


class HelplineAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return add_error_responses(super().get_openapi_schema(**kwargs))


api = HelplineAPI(
    title="Helpline API",
    version="1.0.0",
    description="Everything an agent can do, for scripts and integrations. "
    "Authenticate with `Authorization: Bearer <token>` (create one with "
    "`helpline token create EMAIL`).",
    auth=[TokenAuth(), AgentSession(csrf=True)],
    urls_namespace="api-v1",
    docs_decorator=allow_data_images,  # Swagger UI's CSS draws icons as data: images
)
api.add_router("/", tickets_router)
api.add_router("/", contacts_router)
api.add_router("/", mail_router)
contract.install(api)


def _field_errors(request: HttpRequest, error: ValidationError) -> list[dict[str, object]]:
    if hasattr(error, "error_dict"):
        return [
            # A value error about a query parameter says so, as the schema check's do.
            {"loc": [_source(request, field), field], "msg": message, "type": "value_error"}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"loc": ["body"], "msg": message, "type": "value_error"} for message in error.messages]


def _source(request: HttpRequest, field: str) -> str:
    return "query" if field in request.GET else "body"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": _field_errors(request, error)}, status=422)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "Unauthorized"}, status=401)
    response["WWW-Authenticate"] = challenge(request)
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1_048_576
    detail = f"The request body is over {limit_mb} MB; send large files one at a time."
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(error) or "Not found."}, status=404)


@api.exception_handler(NoPermission)
def no_permission(request: HttpRequest, error: NoPermission) -> HttpResponse:
    return api.create_response(request, {"detail": str(error)}, status=403)
