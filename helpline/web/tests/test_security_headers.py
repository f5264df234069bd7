"""Content-Security-Policy on every HTML page, and HSTS once the site is HTTPS-only."""

import os
import subprocess
import sys

import pytest

PAGES = [
    ("/", None),
    ("/login/", None),
    ("/tickets/{ticket.number}/", "carol"),
    ("/admin/login/", None),
    ("/admin/", "alice"),
    ("/admin/accounts/user/", "alice"),
    ("/admin/tickets/ticket/{ticket.pk}/change/", "alice"),
    ("/api/v1/docs", "carol"),
]


def _policy(header: str) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "who"), PAGES)
def test_every_html_page_has_a_strict_policy(client, request, ticket, path, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(path.format(ticket=ticket))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    policy = _policy(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    # Remote images (tracking pixels in mail) never load; only the docs page,
    # which shows no mail, allows data: for Swagger UI's icons.
    expected_images = ["'self'", "data:"] if path == "/api/v1/docs" else ["'self'"]
    assert policy["img-src"] == expected_images


@pytest.mark.django_db
def test_the_pages_have_no_inline_script_or_style(client, carol, ticket):
    pages = [client.get("/login/"), client.get("/")]
    client.force_login(carol)
    pages += [client.get("/"), client.get(f"/tickets/{ticket.number}/")]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert '<link rel="stylesheet"' in page
        assert "<script" not in page
        assert "<style" not in page
        assert " style=" not in page
        assert "data:" not in page


@pytest.mark.django_db
def test_hsts_is_sent_over_https_when_set(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/", secure=False)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"SECURE_COOKIES": "true"}, "31536000 False True"),
        ({"SECURE_COOKIES": "true", "SECURE_HSTS_SECONDS": "600",
          "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true"}, "600 True True"),
        ({"SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "600"}, "0 False False"),
        ({}, "0 False False"),
    ],
)  # fmt: skip
def test_hsts_follows_secure_cookies(environment, expected, tmp_path):
    # The settings module reads the environment once, at import: import it afresh.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c",
         "from helpline import settings as s; "
         "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE)"],
        env={**clean, "HELPLINE_VAR_DIR": str(tmp_path), **environment},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == expected
