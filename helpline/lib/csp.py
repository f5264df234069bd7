"""Per-page exceptions to the Content-Security-Policy in `settings.SECURE_CSP`."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csp import csp_override

View = Callable[..., HttpResponse]


def allow_data_images(view: View) -> View:
    """The site's policy plus `img-src data:`, for pages whose own stylesheet needs it.

    The API docs page (Swagger UI) draws its icons as `data:` SVG images in its
    CSS. It shows no mail, so `data:` images there track nobody; scripts and
    styles stay as strict as everywhere else."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy: dict[str, list[str]] = {k: list(v) for k, v in settings.SECURE_CSP.items()}
        policy["img-src"] = [*policy.get("img-src", []), "data:"]
        return csp_override(policy)(view)(request, *args, **kwargs)

    return wrapped
