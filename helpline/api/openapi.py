"""The error answers every operation can give, declared in the OpenAPI document.

Ninja documents what endpoints return on success; the errors come from shared
machinery (authentication, the request contract, the error handlers in v1.py), so
they are added here from what each operation has: every operation can answer 401
and 422 (an unknown query parameter, a bad value); one with a path parameter 404;
one with a body 400 (not JSON), 413 (too big) and 415 (not JSON by type); every
write 403 (not allowed, or a browser session without its CSRF token).
"""

from typing import Any

ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERROR = {
    "title": "FieldError",
    "type": "object",
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
        "ctx": {"type": "object"},
    },
    "required": ["loc", "msg", "type"],
}
VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "detail": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
    },
    "required": ["detail"],
}
DESCRIPTIONS = {
    "400": ("The body is not JSON.", "Error"),
    "401": ("No token, or a wrong, expired or revoked one.", "Error"),
    "403": ("Not allowed to change this, or a session call without its CSRF token.", "Error"),
    "404": ("It does not exist, or you cannot see it.", "Error"),
    "413": ("The request body is too big.", "Error"),
    "415": ("The body is not sent as application/json.", "Error"),
    "422": ("Invalid input: each problem with where (loc) and what (msg).", "ValidationError"),
}
WRITES = {"post", "put", "patch", "delete"}


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["401", "422"]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["400", "413", "415"]
    if method in WRITES:
        statuses.append("403")
    return sorted(statuses)


def _response(status: str) -> dict[str, Any]:
    description, schema = DESCRIPTIONS[status]
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def add_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error=ERROR, FieldError=FIELD_ERROR, ValidationError=VALIDATION_ERROR)
    for methods in document.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation):
                responses.setdefault(status, _response(status))
    return document
