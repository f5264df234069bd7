"""The audit trail: one call per change to something that is not a ticket."""

from typing import Any

from django.db import models

from helpline.accounts.models import AuditEvent, User
from helpline.lib import clock


def record(*, actor: User | None, action: str, target: models.Model, **data: Any) -> AuditEvent:
    """Call inside the verb's transaction, so the trail and the change commit together."""
    return AuditEvent.objects.create(
        actor=actor, action=action, object_type=target._meta.label_lower,
        object_id=str(target.pk), object_repr=str(target)[:200], data=data,
        created_at=clock.now(),
    )  # fmt: skip
