import pytest
from django.core.exceptions import ValidationError

from helpline.tickets import actions
from helpline.tickets.files import Upload, clean_filename
from helpline.tickets.models import Attachment, Blob


@pytest.mark.django_db
class TestAttachments:
    def test_the_same_bytes_are_stored_once(self, ticket, carol):
        upload = Upload("log.txt", b"same bytes", "text/plain")
        actions.add_note(ticket=ticket, acting_user=carol, body="a", attachments=[upload])
        actions.add_note(ticket=ticket, acting_user=carol, body="b", attachments=[upload])
        assert Attachment.objects.count() == 2
        assert Blob.objects.count() == 1

    def test_it_rejects_oversized_files_and_stores_nothing(self, ticket, carol, settings):
        settings.HELPLINE_MAX_ATTACHMENT_BYTES = 10
        with pytest.raises(ValidationError, match=r"big\.bin is 11 bytes; the limit is 10 bytes"):
            actions.add_note(
                ticket=ticket,
                acting_user=carol,
                body="a",
                attachments=[Upload("big.bin", b"x" * 11)],
            )
        assert ticket.messages.count() == 1
        assert not Blob.objects.exists()

    def test_a_logged_in_agent_downloads_through_the_access_check(self, client, ticket, carol, bob):
        note = actions.add_note(
            ticket=ticket, acting_user=carol, body="a",
            attachments=[Upload("page.html", b"<script>alert(1)</script>", "text/html")],
        )  # fmt: skip
        attachment = note.attachments.get()
        client.force_login(carol)
        response = client.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        client.force_login(bob)
        assert client.get(f"/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ('a"b\x00c\r\n.txt', "abc.txt"),
        ("...", "attachment"),
        ("", "attachment"),
        ("é" * 300, "é" * 200),
    ],
)
def test_filenames_are_made_safe_for_display(raw, clean):
    assert clean_filename(raw) == clean
