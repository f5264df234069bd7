from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from helpline.accounts.models import User
from helpline.accounts.signin import ThrottledSignIn
from helpline.tickets import access
from helpline.tickets.attachments import open_attachment, open_inline_image
from helpline.tickets.models import StatusCategory

RECENT_TICKETS = 25


def home(request: HttpRequest) -> HttpResponse:
    context = {}
    if isinstance(request.user, User) and request.user.is_active:
        tickets = access.tickets_for(request.user)
        context = {
            "open_count": tickets.unresolved().count(),
            "new_count": tickets.in_category(StatusCategory.NEW).count(),
            "mine_count": tickets.unresolved().filter(assignee=request.user).count(),
            "recent": tickets.for_list().order_by("-updated_at", "-id")[:RECENT_TICKETS],
        }
    return render(request, "web/home.html", context)


class SignInView(LoginView):
    form_class = ThrottledSignIn
    redirect_authenticated_user = True

    def form_invalid(self, form: ThrottledSignIn) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="locked"):
            response.status_code = 429  # Too Many Requests: scripts can tell it from a typo
        return response


@login_required
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    assert isinstance(request.user, User)
    return open_attachment(access.attachment_for(request.user, attachment_id))


@login_required
def inline_image(request: HttpRequest, attachment_id: int) -> FileResponse:
    assert isinstance(request.user, User)
    return open_inline_image(access.attachment_for(request.user, attachment_id))


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
