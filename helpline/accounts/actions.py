"""Every write to agents, teams, API tokens and sign-in locks."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from helpline.accounts import audit, signin
from helpline.accounts.models import ApiToken, Role, User, hash_token
from helpline.lib import clock

log = logging.getLogger(__name__)


def create_agent(
    *, email: str, name: str, password: str | None, role: str = Role.AGENT,
    acting_user: User | None,
) -> User:  # fmt: skip
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not one of: {', '.join(Role.values)}."})
    if password is not None:
        validate_password(password)
    with transaction.atomic():
        if User.objects.filter(email=address).exists():
            raise ValidationError({"email": f"An agent with {address} already exists."})
        user = User.objects.create_user(
            address, password, name=name.strip() or address.split("@")[0], role=role,
            is_superuser=role == Role.ADMIN,
        )  # fmt: skip
        audit.record(actor=acting_user, action="agent.created", target=user, role=role)
        return user


def create_api_token(
    *, user: User, name: str, acting_user: User | None, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token and its raw value; the raw value is not stored and cannot be shown again."""
    if not user.is_active:
        raise ValidationError({"user": f"{user.email} is deactivated."})
    lifetime = days if days is not None else settings.HELPLINE_API_TOKEN_DAYS
    if lifetime < 1:
        raise ValidationError({"days": "A token must live at least one day."})
    raw = ApiToken.new_raw_value()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip()[:100] or "API token", key_hash=hash_token(raw),
            hint=raw[:12], expires_at=ApiToken.default_expiry(lifetime),
        )  # fmt: skip
        audit.record(
            actor=acting_user, action="token.created", target=token, user=user.email, days=lifetime
        )
    return token, raw


def revoke_api_token(*, token: ApiToken, acting_user: User | None) -> None:
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        if revoked:
            audit.record(actor=acting_user, action="token.revoked", target=token)


def authenticate_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()
    )
    if token is None:
        return None
    now = clock.now()
    # Written at most once a minute, so busy integrations do not turn every
    # read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def unlock_sign_in(
    *, emails: Iterable[str] = (), addresses: Iterable[str] = (), acting_user: User | None
) -> list[str]:
    """Lift sign-in locks and forget the failures behind them; the subjects that had any."""
    cleared = [
        email for email in emails if signin.account_throttle().clear(signin.account_subject(email))
    ]
    cleared += [
        address
        for address in addresses
        if signin.address_throttle().clear(signin.address_subject(address))
    ]
    who = acting_user.email if acting_user is not None else "the system"
    log.info("Sign-in unlocked by %s: %s", who, ", ".join(cleared) or "nothing was locked")
    return cleared
