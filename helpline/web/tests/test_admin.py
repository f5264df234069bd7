import pytest

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/accounts/team/",
    "/admin/accounts/apitoken/",
    "/admin/contacts/contact/",
    "/admin/contacts/organization/",
    "/admin/tickets/status/",
    "/admin/tickets/status/add/",
    "/admin/tickets/customfield/",
    "/admin/tickets/category/",
    "/admin/tickets/tag/",
    "/admin/tickets/ticket/",
    "/admin/mail/mailbox/",
    "/admin/mail/mailbox/add/",
    "/admin/mail/inboundemail/",
    "/admin/mail/inboundemail/?state__exact=quarantined",
    "/admin/mail/outboundemail/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_administrator_can_open_every_admin_page(client, alice, ticket, path):
    client.force_login(alice)
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_an_admin_adds_a_custom_status(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/tickets/status/add/",
        {"name": "Waiting on vendor", "slug": "vendor", "category": "on_hold",
         "pauses_sla": "on", "position": "25"},
    )  # fmt: skip
    assert response.status_code == 302
    from helpline.tickets.models import Status

    assert Status.objects.get(slug="vendor").pauses_sla


@pytest.mark.django_db
def test_tickets_cannot_be_edited_in_the_admin(client, alice, ticket):
    client.force_login(alice)
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert 'type="submit"' not in page or "Save" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["carol", "lee"])
def test_agents_do_not_reach_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/tickets/status/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_emails_typed_in_the_admin_are_stored_lower_case_and_sign_in_ignores_case(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "New.Agent@Example.COM", "name": "New Agent", "role": "agent",
         "password1": "a long pass phrase", "password2": "a long pass phrase"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    from helpline.accounts.models import User

    assert User.objects.filter(email="new.agent@example.com").exists()
    client.logout()
    signed_in = client.post(
        "/login/", {"username": "NEW.agent@example.com", "password": "a long pass phrase"}
    )
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_the_admin_refuses_a_second_agent_with_the_same_email_in_other_case(client, alice):
    client.force_login(alice)
    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "ALICE@helpline.test", "name": "Dup", "role": "agent",
         "password1": "a long pass phrase", "password2": "a long pass phrase"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


@pytest.mark.django_db
def test_mailbox_secrets_are_stored_encrypted_and_shown_once(client, alice):
    from helpline.mail.models import Mailbox
    from helpline.mail.secrets import hash_secret

    client.force_login(alice)
    response = client.post(
        "/admin/mail/mailbox/add/",
        {"address": "support@helpline.example", "display_name": "Support", "language": "en",
         "transport": "imap", "is_active": "on", "imap_host": "imap.example.com",
         "imap_port": "993", "imap_security": "ssl", "imap_username": "support",
         "imap_password": "hunter2-imap", "imap_folder": "INBOX", "new_inbound_secret": "on"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password() == "hunter2-imap"
    assert "hunter2-imap" not in mailbox.imap_password_encrypted
    secret = page.split("/inbound/email/")[1].split("/")[0]
    assert mailbox.inbound_secret_hash == hash_secret(secret)
    edit_page = client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/").content.decode()
    assert "hunter2-imap" not in edit_page
    assert secret not in edit_page


@pytest.mark.django_db
def test_an_admin_retries_and_downloads_a_quarantined_message(client, alice):
    from helpline.mail import actions

    received = actions.receive(raw=b"Subject: no sender\r\n\r\nx", via="test", mailbox=None)
    actions.process(inbound_id=received.inbound.pk)
    client.force_login(alice)
    url = "/admin/mail/inboundemail/"
    download = client.post(
        url, {"action": "download_raw", "_selected_action": [received.inbound.pk]}
    )
    assert download["Content-Type"] == "message/rfc822"
    assert download.content == b"Subject: no sender\r\n\r\nx"
    retried = client.post(
        url, {"action": "retry", "_selected_action": [received.inbound.pk]}, follow=True
    )
    assert "0 of 1 processed" in retried.content.decode()
