"""HTML from outside (email, API, forms) is only ever stored sanitised."""

import html
from collections.abc import Mapping

import nh3

from helpline.lib.text import clean_text

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Remote images are tracking pixels more often than content; only inline
# (cid:) images keep their source until "load remote images" exists.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitise(raw_html: str, inline_images: Mapping[str, str] | None = None) -> str:
    """`inline_images` maps a `cid:` reference's Content-ID to the stored image's URL.

    The rewrite happens inside nh3, which escapes the attribute it writes: a sender
    controls Content-IDs, so editing the cleaned HTML as text afterwards could
    reopen it (a Content-ID with a quote in it closing the `src` attribute)."""
    images = inline_images or {}

    def keep_only_inline_images(tag: str, attribute: str, value: str) -> str | None:
        if tag != "img" or attribute != "src":
            return value
        if not value.lower().startswith("cid:"):
            return None
        return images.get(value[4:], value)

    return nh3.clean(
        clean_text(raw_html),  # the one rule for stored text: no control or bidi characters
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=keep_only_inline_images,
    )


def text_to_html(text: str) -> str:
    paragraphs = [p for p in clean_text(text).split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def html_to_text(raw_html: str) -> str:
    return html.unescape(nh3.clean(raw_html, tags=set())).strip()
