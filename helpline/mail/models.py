"""Mailboxes, every raw message received (the durable inbox), and Message-ID references."""

import secrets as random_secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from helpline.accounts.models import Team
from helpline.lib import clock
from helpline.mail import secrets
from helpline.tickets.models import Message, Ticket


def split_tag(address: str) -> tuple[str, str]:
    """`support+tag@example.com` → (`support@example.com`, `tag`); the tag is "" when absent."""
    local, _, domain = address.strip().lower().partition("@")
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def is_ours(address: str, ours: frozenset[str]) -> bool:
    """Whether the address is one of these mailbox addresses (`Mailbox.objects.addresses()`),
    `+tag` forms and any case included."""
    return split_tag(address)[0] in ours


class MailboxQuerySet(models.QuerySet["Mailbox"]):
    def for_address(self, address: str) -> "MailboxQuerySet":
        """The mailbox an address belongs to, `+tag` forms included."""
        return self.filter(address__iexact=split_tag(address)[0])

    def addresses(self) -> frozenset[str]:
        """Every mailbox address, lower-cased: one query for all the checks of a mail."""
        return frozenset(address.lower() for address in self.values_list("address", flat=True))


class Mailbox(models.Model):
    """A support address customers write to."""

    class Transport(models.TextChoices):
        IMAP = "imap", "IMAP polling"
        HTTP = "http", "Inbound HTTP (raw MIME or provider webhook)"
        SMTP = "smtp", "Built-in SMTP listener"

    class ImapSecurity(models.TextChoices):
        SSL = "ssl", "IMAPS (TLS from the start)"
        STARTTLS = "starttls", "STARTTLS"
        NONE = "none", "None (loopback testing only)"

    address = models.EmailField(unique=True)
    display_name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    language = models.CharField(max_length=16, default="en")
    transport = models.CharField(max_length=10, choices=Transport.choices, default=Transport.HTTP)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False,
        help_text="Sends replies on tickets that no other mailbox serves (its team has none, "
        "or the ticket has no team). At most one mailbox is the default.",
    )
    imap_host = models.CharField(max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(
        max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(max_length=254, blank=True)
    imap_password_encrypted = models.TextField(blank=True, editable=False)
    imap_folder = models.CharField(max_length=200, default="INBOX")
    inbound_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    header_text = models.TextField(blank=True, help_text="Shown above every mail we send.")
    footer_text = models.TextField(blank=True, help_text="Shown below every mail we send.")
    agents_may_reply_by_email = models.BooleanField(
        default=False,
        help_text=(
            "Mail from an agent's address to this mailbox acts as that agent (a public reply,"
            " or a note from a light agent) — only when the receiving mail server vouches for"
            " it: an Authentication-Results header from a trusted authserv-id below, with"
            " dkim=pass for the sender's domain. Off: agents' mail is treated like anyone's."
        ),
    )
    trusted_authserv_ids = models.CharField(
        "trusted authserv-ids",
        max_length=500,
        blank=True,
        help_text=(
            "The authserv-id your receiving mail server writes first in the"
            " Authentication-Results headers it adds (e.g. mx.example.com; several separated"
            " by commas). Empty: HELPLINE_TRUSTED_AUTHSERV_IDS. Headers naming any other id"
            " are ignored, since a sender can add their own."
        ),
    )

    objects = MailboxQuerySet.as_manager()

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_mailbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.address}>"

    def clean(self) -> None:
        if self.agents_may_reply_by_email and not self.authserv_ids():
            raise ValidationError(
                {
                    "trusted_authserv_ids": "Agents may reply by email only when Helpline knows"
                    " which server's Authentication-Results to trust: name its authserv-id."
                }
            )

    def authserv_ids(self) -> list[str]:
        """The authserv-ids whose Authentication-Results this mailbox believes."""
        configured = self.trusted_authserv_ids or settings.HELPLINE_TRUSTED_AUTHSERV_IDS
        return [part.strip().lower() for part in configured.split(",") if part.strip()]

    def set_imap_password(self, raw: str) -> None:
        self.imap_password_encrypted = secrets.encrypt(raw)

    def imap_password(self) -> str:
        return secrets.decrypt(self.imap_password_encrypted) if self.imap_password_encrypted else ""

    def new_inbound_secret(self) -> str:
        """A fresh secret for the inbound URL; only its hash is kept."""
        raw = random_secrets.token_urlsafe(32)
        self.inbound_secret_hash = secrets.hash_secret(raw)
        return raw

    @property
    def local_part(self) -> str:
        return self.address.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]

    def reply_address(self, ticket_number: int, recipient: str) -> str:
        """The address `recipient` answers our mail about the ticket at (see secrets)."""
        return f"{self.local_part}+{secrets.reply_token(ticket_number, recipient)}@{self.domain}"


def mailbox_for_address(address: str) -> Mailbox | None:
    """The active mailbox that mail to `address` is for."""
    return Mailbox.objects.for_address(address).filter(is_active=True).first()


class InboundState(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    PROCESSED = "processed", "Processed"
    QUARANTINED = "quarantined", "Quarantined"


class InboundResult(models.TextChoices):
    CREATED = "created", "New ticket"
    APPENDED = "appended", "Added to a ticket"
    AUTO_REPLY = "auto_reply", "Automatic reply (no ticket)"
    BOUNCE = "bounce", "Delivery failure"
    LOOP = "loop", "Our own mail (ignored)"


class InboundEmail(models.Model):
    """A message exactly as it arrived. Stored before anything else happens, so a
    crash at any later point loses nothing: the row is simply processed again."""

    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL)
    received_via = models.CharField(max_length=20)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    # Message-ID when present, else "sha256:<fingerprint>": one row per message,
    # however often it is fetched, posted or sent to several of our addresses.
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(max_length=998, blank=True)
    state = models.CharField(
        max_length=12, choices=InboundState.choices, default=InboundState.PENDING
    )
    result = models.CharField(max_length=12, choices=InboundResult.choices, blank=True)
    # Why the message went where it did (shown on the ticket page as "Placed by").
    placement = models.CharField(max_length=300, blank=True)
    # The whole message as sent, when quotes and signature were cut from the
    # ticket message for display ("Show the full original"); empty when nothing was.
    full_text = models.TextField(blank=True)
    full_html = models.TextField(blank=True, help_text="Sanitised with nh3 before it is stored.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL)
    ticket_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    received_at = models.DateTimeField(default=clock.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["state", "received_at"], name="inbound_state")]

    def __str__(self) -> str:
        return self.message_id or self.dedupe_key


class MessageReference(models.Model):
    """A Message-ID we sent or received on a ticket: what In-Reply-To and References match."""

    message_id = models.CharField(max_length=998, db_index=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mail_references")
    ticket_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE)
    outgoing = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_id", "ticket"], name="reference_unique"),
        ]

    def __str__(self) -> str:
        return self.message_id


# Message-IDs up to this length are stored and matched as they are; longer ones
# (rare, and a way to bloat an index) are hashed for deduplication and not awaited.
PLAIN_MESSAGE_ID_MAX = 280


class AwaitedMessage(models.Model):
    """A Message-ID that mail on this ticket answered before we had received it. When
    that message arrives late (delayed in transit, or imported out of order), it joins
    this ticket instead of opening one of its own."""

    message_id = models.CharField(max_length=PLAIN_MESSAGE_ID_MAX, db_index=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="awaited_mail")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_id", "ticket"], name="awaited_unique"),
        ]

    def __str__(self) -> str:
        return self.message_id


class OutboundKind(models.TextChoices):
    REPLY = "reply", "Agent reply"
    ACKNOWLEDGEMENT = "ack", "Acknowledgement"
    REFUSAL = "refusal", "Message refused (too large)"


class OutboundState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed permanently"
    UNCERTAIN = "uncertain", "Delivery uncertain (review)"
    # No mailbox could send it (or no address to send to): kept, with the reason in
    # `last_error`, until an agent sends it again once a route exists.
    NOT_EMAILED = "not_emailed", "Not emailed"
    # HELPLINE_MAIL_DELIVERY=keep (the demo): stored here, never sent over the network.
    KEPT = "kept", "Kept in Helpline (not sent: HELPLINE_MAIL_DELIVERY=keep)"


class OutboundEmailQuerySet(models.QuerySet["OutboundEmail"]):
    def due(self) -> "OutboundEmailQuerySet":
        return self.filter(state=OutboundState.QUEUED, next_attempt_at__lte=clock.now())


class OutboundEmail(models.Model):
    """The outbox: a mail written in the same transaction as what caused it, sent by
    the worker. Its Message-ID is fixed at creation, so every attempt is the same mail."""

    kind = models.CharField(max_length=10, choices=OutboundKind.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL)
    ticket_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL)
    from_header = models.CharField(max_length=400)
    reply_to = models.CharField(max_length=400, blank=True)
    recipients = models.JSONField(default=list)
    # The first recipient, as a plain column: what the automatic-mail rate limit counts.
    primary_recipient = models.EmailField(db_index=True)
    cc = models.JSONField(default=list, blank=True)
    # Each recipient gets a copy of their own (with a reply token bound to them): this
    # is the one address the copy is delivered to. To/Cc above are the headers shown.
    # Empty on mail queued before per-recipient copies: delivered to every To and Cc.
    envelope_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=400)
    rfc_message_id = models.CharField(max_length=300, unique=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    body_text = models.TextField()
    body_html = models.TextField()
    automatic = models.BooleanField(default=False, help_text="Sent with Auto-Submitted.")
    state = models.CharField(
        max_length=12, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now, db_index=True)
    last_error = models.TextField(blank=True)
    server_response = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound email"

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.delivered_to)}: {self.subject}"

    @property
    def delivered_to(self) -> list[str]:
        """The addresses this mail goes to (the SMTP envelope)."""
        return [self.envelope_to] if self.envelope_to else [*self.recipients, *self.cc]

    @property
    def delivery_summary(self) -> str:
        """One line for agents: where the mail went, or why it went nowhere."""
        if self.state == OutboundState.NOT_EMAILED:
            return f"not emailed: {self.last_error}"
        to = ", ".join(self.delivered_to)  # each copy goes to its own recipient
        verb = "mail to" if self.state == OutboundState.KEPT else "emailed to"
        summary = f"{verb} {to}: {self.get_state_display()}"
        return f"{summary}: {self.last_error}" if self.last_error else summary


class ImapFolderState(models.Model):
    """How far a mailbox's IMAP folder has been read: UIDs are only meaningful
    within one UIDVALIDITY, so a change of it means reading the folder again
    (duplicates are then recognised by Message-ID or fingerprint)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imap_states")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="imap_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox.address}/{self.folder} uid>{self.last_uid}"
