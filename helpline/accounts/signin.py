"""Brute-force protection for signing in (`/login/` and `/admin/login/`).

Two throttles: one per account (the email typed, whether or not an agent has
it, so a lock says nothing about which accounts exist) and one per client
address (one address trying many accounts). A locked attempt is refused
before the password is checked: it costs no password hash and does not count,
so a flood against a locked account neither extends the lock nor burns CPU.
"""

import ipaddress
import logging
import math
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from helpline.lib import clock
from helpline.lib.throttle import Throttle

log = logging.getLogger(__name__)


def account_throttle() -> Throttle:
    return Throttle(
        name="sign-in-account",
        lock_after=settings.HELPLINE_SIGNIN_ACCOUNT_FAILURES,
        first_lock=timedelta(seconds=settings.HELPLINE_SIGNIN_FIRST_LOCK_SECONDS),
        longest_lock=timedelta(seconds=settings.HELPLINE_SIGNIN_LONGEST_LOCK_SECONDS),
    )


def address_throttle() -> Throttle:
    return Throttle(
        name="sign-in-address",
        lock_after=settings.HELPLINE_SIGNIN_ADDRESS_FAILURES,
        first_lock=timedelta(seconds=settings.HELPLINE_SIGNIN_FIRST_LOCK_SECONDS),
        longest_lock=timedelta(seconds=settings.HELPLINE_SIGNIN_LONGEST_LOCK_SECONDS),
    )


def account_subject(email: str) -> str:
    # The same folding as sign-in itself (UserManager.get_by_natural_key), so
    # "Bob@Example.com " and "bob@example.com" share one count.
    return email.strip().lower()


def address_subject(address: str) -> str:
    """The client address, or for IPv6 its /64: one host usually holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    # uvicorn already puts the client from X-Forwarded-For into REMOTE_ADDR when the
    # request came through a trusted proxy (FORWARDED_ALLOW_IPS); a header read here
    # could be forged by anyone.
    return address_subject(request.META.get("REMOTE_ADDR", ""))


def _subjects(request: HttpRequest, email: str) -> list[tuple[Throttle, str]]:
    return [
        (account_throttle(), account_subject(email)),
        (address_throttle(), client_address(request)),
    ]


def begin_attempt(request: HttpRequest, email: str) -> datetime | None:
    """Count the attempt before the password is checked; when it may not be checked,
    until when (attempts at the same moment count against one allowance)."""
    begun: list[tuple[Throttle, str]] = []
    for throttle, subject in _subjects(request, email):
        if not throttle.begin(subject):
            for earlier, earlier_subject in begun:  # not checked: not an attempt
                earlier.succeeded(earlier_subject, forget=False)
            until = throttle.locked_until(subject)
            return until or clock.now() + throttle.first_lock
        begun.append((throttle, subject))
    return None


def record_failure(request: HttpRequest, email: str) -> None:
    for throttle, subject in _subjects(request, email):
        if (until := throttle.failed(subject)) is not None:
            log.warning(
                "Sign-in locked (%s) until %s after failed attempts: account %r, address %s",
                throttle.name, until.isoformat(timespec="seconds"), account_subject(email),
                client_address(request),
            )  # fmt: skip


def record_success(request: HttpRequest, email: str) -> None:
    # The account's count is forgotten; the address's loses only this attempt: others
    # behind the same address (an office, a VPN) may still be guessing.
    account, address = _subjects(request, email)
    account[0].succeeded(account[1], forget=True)
    address[0].succeeded(address[1], forget=False)


def locked_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - clock.now()).total_seconds() / 60))
    wait = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return gettext(
        "Too many failed sign-in attempts. For your security, signing in to this account "
        "or from this network is paused for %(wait)s. Please try again later; an "
        "administrator can unlock it sooner."
    ) % {"wait": wait}


class ThrottledSignIn(AuthenticationForm):
    """Refuses a locked account or address before the password is checked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That email and password do not match an active agent."),
    }

    def clean(self) -> dict[str, object]:
        email = self.cleaned_data.get("username")
        if not email or not self.cleaned_data.get("password") or self.request is None:
            return super().clean()
        if (until := begin_attempt(self.request, email)) is not None:
            raise forms.ValidationError(locked_message(until), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # No user: the password was wrong (or the account unknown or inactive).
            # A user refused afterwards (an agent at the admin's sign-in) knew it.
            if self.user_cache is None:
                record_failure(self.request, email)
            else:
                record_success(self.request, email)
            raise
        record_success(self.request, email)
        return cleaned


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    """The admin's sign-in form with the same throttle (`/admin/login/`)."""

    error_messages = AdminAuthenticationForm.error_messages
