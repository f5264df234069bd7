"""Serving attachment bytes, only ever after an access check."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from helpline.tickets.models import Attachment

# Raster formats browsers render without running anything; never SVG or HTML.
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def open_inline_image(attachment: Attachment) -> FileResponse:
    """An email's inline picture, shown inside the conversation."""
    if attachment.content_type not in INLINE_IMAGE_TYPES:
        raise Http404("Only PNG, JPEG, GIF and WebP images are shown inline.")
    response = open_attachment(attachment)
    response["Content-Type"] = attachment.content_type
    response["Content-Disposition"] = "inline"
    return response


def open_attachment(attachment: Attachment) -> FileResponse:
    try:
        handle = default_storage.open(attachment.blob.storage_name, "rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        # Always a download with a neutral type: an uploaded .html or .svg
        # must never render (and run script) on our origin.
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
