from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from helpline.mail import actions
from helpline.mail.models import InboundEmail, InboundState, Mailbox, OutboundEmail


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
    )
    new_inbound_secret = forms.BooleanField(
        required=False,
        help_text="Make a new secret for the inbound HTTP address (shown once after saving).",
    )

    class Meta:
        model = Mailbox
        exclude: list[str] = []


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "display_name", "team", "transport", "is_active", "is_default"]

    def save_model(
        self, request: HttpRequest, obj: Mailbox, form: forms.Form, change: bool
    ) -> None:
        if form.cleaned_data.get("imap_password"):
            obj.set_imap_password(form.cleaned_data["imap_password"])
        secret = obj.new_inbound_secret() if form.cleaned_data.get("new_inbound_secret") else None
        super().save_model(request, obj, form, change)
        if secret:
            url = request.build_absolute_uri(f"/inbound/email/{secret}/")
            messages.warning(request, f"Inbound address (shown once, keep it secret): {url}")


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every message received; the quarantine is the `state = quarantined` filter."""

    list_display = ["received_at", "message_id", "mailbox", "state", "result", "ticket", "error"]
    list_filter = ["state", "result", "received_via", "mailbox"]
    search_fields = ["message_id", "placement", "error"]
    exclude = ["raw"]
    readonly_fields = [
        "mailbox", "received_via", "size", "dedupe_key", "message_id", "state", "result",
        "placement", "error", "attempts", "ticket", "ticket_message", "received_at", "processed_at",
    ]  # fmt: skip
    actions = ["retry", "download_raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Process the selected quarantined messages again")
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        results = [
            actions.retry(inbound=inbound, acting_user=request.user)
            for inbound in queryset.filter(state=InboundState.QUARANTINED)
        ]
        done = sum(1 for r in results if r.state == InboundState.PROCESSED)
        self.message_user(
            request, f"{done} of {len(results)} processed; the rest stay quarantined."
        )

    @admin.action(description="Download the raw .eml (one message)")
    def download_raw(
        self, request: HttpRequest, queryset: QuerySet[InboundEmail]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one message to download.", messages.ERROR)
            return None
        inbound = queryset.get()
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
        return response


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox; filter on *failed* and *delivery uncertain* to review problems."""

    list_display = ["created_at", "kind", "primary_recipient", "subject", "state", "attempts"]
    list_filter = ["state", "kind", "mailbox"]
    search_fields = ["primary_recipient", "subject", "rfc_message_id"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
