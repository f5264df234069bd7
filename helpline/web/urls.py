from django.contrib.auth import views as auth_views
from django.urls import path

from helpline.mail import views as mail_views
from helpline.tickets import views as ticket_views
from helpline.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("attachments/<int:attachment_id>/", views.download_attachment, name="attachment"),
    path("attachments/<int:attachment_id>/inline", views.inline_image, name="inline-image"),
    path("tickets/<int:number>/", ticket_views.ticket_page, name="ticket"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/move",
        ticket_views.move_message,
        name="message-move",
    ),
    path(
        "tickets/<int:number>/messages/<int:message_id>/split",
        ticket_views.split_message,
        name="message-split",
    ),
    path(
        "tickets/<int:number>/messages/<int:message_id>/email",
        mail_views.email_reply,
        name="message-email",
    ),
    path("mail/outgoing/", mail_views.outgoing_list, name="outgoing-mail"),
    path(
        "mail/outgoing/<int:outbound_id>/",
        mail_views.outgoing_detail,
        name="outgoing-mail-detail",
    ),
    path(
        "mail/outgoing/<int:outbound_id>/html",
        mail_views.outgoing_html,
        name="outgoing-mail-html",
    ),
    path("inbound/email/<str:secret>/", mail_views.inbound_email, name="inbound-email"),
    path("healthz", views.health, name="health"),
]
