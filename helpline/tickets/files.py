"""Content-addressed attachment storage."""

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from helpline.lib.text import human_size, without_unsafe
from helpline.tickets.models import Attachment, Blob, Message

# RFC 6838's restricted names, optionally with parameters ("text/plain; charset=utf-8").
MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+( *;[ \w.+=\"/-]*)*\Z", re.ASCII)


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = ""
    # An image the HTML body shows through `cid:` (an email's inline picture).
    content_id: str = ""
    inline: bool = False


def clean_filename(raw: str) -> str:
    """A display name safe in a Content-Disposition header; never used as a path."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = without_unsafe(name).replace('"', "").strip(" .")
    return name[:200] or "attachment"


def check_size(upload: Upload) -> None:
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    if len(upload.content) > limit:
        raise ValidationError(
            {"attachments": f"{clean_filename(upload.filename)} is "
             f"{human_size(len(upload.content))}; the limit is {human_size(limit)}."}
        )  # fmt: skip


def store_blob(content: bytes) -> Blob:
    digest = hashlib.sha256(content).hexdigest()
    blob, created = Blob.objects.get_or_create(sha256=digest, defaults={"size": len(content)})
    if created or not default_storage.exists(blob.storage_name):
        # Written before the transaction commits: a rollback leaves an orphan
        # file (harmless, same bytes next time), never a row without its file.
        default_storage.save(blob.storage_name, ContentFile(content))
    return blob


def _media_type(raw: str) -> str:
    """A `type/subtype` as given (it becomes a response header), or "" to guess one."""
    value = raw.strip()[:255]
    return value if MEDIA_TYPE.match(value) else ""


def attach(message: Message, upload: Upload) -> Attachment:
    check_size(upload)
    filename = clean_filename(upload.filename)
    content_type = (
        _media_type(upload.content_type)
        or mimetypes.guess_type(filename)[0]
        or "application/octet-stream"
    )
    return Attachment.objects.create(
        message=message, blob=store_blob(upload.content), filename=filename,
        content_type=content_type, size=len(upload.content),
        content_id=upload.content_id[:255], is_inline=upload.inline,
    )  # fmt: skip
