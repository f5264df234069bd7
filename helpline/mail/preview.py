"""Showing an outgoing mail's HTML to an administrator without letting it act on the page.

Three locks, each enough on its own: the HTML is sanitised (nh3, inline styles kept so
it looks as the customer sees it); it is served with a CSP that forbids every script
and remote resource and sandboxes the document; and the page frames it in an
`<iframe sandbox>` without `allow-scripts` or `allow-same-origin`.
"""

import nh3

from helpline.lib.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES
from helpline.mail.models import OutboundEmail

PREVIEW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)


def preview_html(outbound: OutboundEmail) -> str:
    cleaned = nh3.clean(
        outbound.body_html,
        tags=ALLOWED_TAGS,
        attributes={**ALLOWED_ATTRIBUTES, "*": {"style"}},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{cleaned}</body></html>'
