"""The one cleaning rule for text from outside (API, mail, forms), and small text helpers.

Every string Helpline stores goes through one of these, at the verbs' validation layer,
so the API, mail and the pages all get the same result on SQLite and PostgreSQL:

- Free text (subjects, names, message bodies, notes, custom text fields) is *cleaned*:
  C0/C1 control characters and the bidirectional embedding, override and isolate
  characters (U+202A-U+202E, U+2066-U+2069) are removed. They carry no meaning in a
  help desk's text: NUL is refused outright by PostgreSQL and kept by SQLite, and a
  right-to-left override only changes how the following characters are *displayed*
  ("invoice\u202egnp.exe" shows as "invoiceexe.png"), so removing it shows the text in
  the order it was written. Multi-line text keeps line breaks and tabs; CR LF and a
  lone CR become LF, so removing CR never joins two lines.
- Identifiers and codes (email addresses, domains, tags, status slugs, category names,
  language codes) are *refused* when they hold such characters: a cleaned identifier
  would silently name something else, so the client is told instead (a 422 naming
  the field).
"""

import re

from django.core.exceptions import ValidationError

# C0/C1 control characters: invisible, and NUL is refused outright by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same, except tab and line feed (kept in multi-line text).
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates ("Trojan Source" characters).
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(raw: str) -> str:
    """Control and bidi characters dropped and runs of whitespace made one space."""
    return " ".join(_CONTROL.sub(" ", _BIDI.sub("", raw)).split())


def clean_text(raw: str) -> str:
    """Multi-line text with control characters (but tab and line feed) and bidi removed."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_MULTILINE.sub("", _BIDI.sub("", text))


def without_unsafe(raw: str) -> str:
    """Every control and bidi character removed, line breaks too (file names, tokens)."""
    return _UNSAFE.sub("", raw)


def has_unsafe_characters(value: str) -> bool:
    """True when the value holds a control or bidirectional-formatting character."""
    return bool(_UNSAFE.search(value))


def refuse_unsafe(value: str, field: str) -> str:
    """The value unchanged, or a ValidationError on `field` (for identifiers and codes)."""
    if has_unsafe_characters(value):
        raise ValidationError(
            {field: "Remove the control or bidirectional-formatting characters from this value."}
        )
    return value


def human_size(size: int) -> str:
    for unit, scale in (("MB", 1_048_576), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"
