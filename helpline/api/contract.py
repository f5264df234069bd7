"""The request contract every API operation shares, checked before the endpoint runs.

After authentication (so an anonymous caller gets 401 first) and before the
parameters are parsed:

- a request body that is not `application/json` is a 415;
- a query parameter the operation does not declare is a 422 naming the known ones.
  `?q=` on a list without free-text search, or a typo such as `?staus=`, would
  otherwise give an unfiltered 200 that looks like an answer.

`install(api)` hooks this into every operation of the API, present and future,
so each endpoint's declared parameters (its `Query[...]` schema, its simple query
arguments) are the single list of what it accepts. `unknown_query_parameters` is
the comparison on its own, for code that needs it outside an operation.
"""

from collections.abc import Callable, Collection, Iterable

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation

WRITE_METHODS = {"POST", "PUT", "PATCH"}


class UnsupportedMediaType(HttpError):
    def __init__(self) -> None:
        super().__init__(415, "Send the request body as JSON (Content-Type: application/json).")


def declared_query_parameters(operation: Operation) -> frozenset[str] | None:
    """The query parameter names an operation declares, as clients spell them; None when
    its query schema says `checks_own_parameters` (names that are not a fixed list, such
    as the ticket filter's `cf_<key>`, checked by the endpoint with the same 422)."""
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        # Ninja wraps each Query[Schema] in a model of its own: look at the fields' types.
        declared = [field.annotation for field in model.model_fields.values()]
        if any(getattr(kind, "checks_own_parameters", False) for kind in declared):
            return None
        names.update(getattr(model, "__ninja_flatten_map__", {}) or model.model_fields)
    return frozenset(names)


def takes_a_body(operation: Operation) -> bool:
    return any(model.__ninja_param_source__ == "body" for model in operation.models)


def unknown_query_parameters(request: HttpRequest, known: Collection[str]) -> None:
    """Raise a 422 listing every query parameter not in `known`, and the known ones."""
    unknown = sorted(set(request.GET) - set(known))
    if not unknown:
        return
    hint = f"Known: {', '.join(sorted(known))}." if known else "This endpoint takes none."
    raise NinjaValidationError(
        [
            {
                "type": "unknown_parameter",
                "loc": ["query", name],
                "msg": f"{name!r} is not a query parameter here. {hint}",
            }
            for name in unknown
        ]
    )


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _has_body(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 1  # an unreadable length still announces a body
    return length > 0 or "HTTP_TRANSFER_ENCODING" in request.META


def check_request(request: HttpRequest, operation: Operation, known: Iterable[str] | None) -> None:
    if (
        request.method in WRITE_METHODS
        and takes_a_body(operation)
        and _has_body(request)
        and not is_json(request.content_type or "")
    ):
        raise UnsupportedMediaType()
    if known is not None:
        unknown_query_parameters(request, frozenset(known))


def _with_contract(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    operation: Operation = run.__self__  # type: ignore[attr-defined]
    known = declared_query_parameters(operation)
    checks = operation._run_checks  # authentication and throttling, as Ninja runs them

    def run_checks(request: HttpRequest) -> HttpResponse | None:
        refused = checks(request)
        if refused is not None:
            return refused
        try:
            check_request(request, operation, known)
        except Exception as error:  # answered by the API's error handlers, as Ninja does
            return operation.api.on_exception(request, error)
        return None

    operation._run_checks = run_checks  # type: ignore[method-assign]
    return run


def install(api: NinjaAPI) -> None:
    # "view" mode hands over each operation's bound `run` once the routers are bound,
    # which is where the operation (its declared parameters, its body) is known.
    api.add_decorator(_with_contract, mode="view")
