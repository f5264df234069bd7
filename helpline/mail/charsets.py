"""Turning the bytes of real mail into text, whatever its charset label says.

Labels in the wild are often wrong or too narrow; the mappings follow the
WHATWG Encoding Standard (what browsers do), which is what senders' clients
actually produced.
"""

import codecs
from email.errors import HeaderParseError
from email.header import decode_header

# A label → the superset codec that decodes what clients really send under it.
SUPERSETS = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "iso_8859-1": "windows-1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "ks_c_5601": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
ISO_2022_JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(B\x1b$B")


def codec_for(label: str | None, data: bytes) -> str:
    """The codec to try first for `data` sent under `label`."""
    name = (label or "").strip().strip("\"'").lower()
    if not name or name in {"us-ascii", "ascii"}:
        if any(escape in data for escape in ISO_2022_JP_ESCAPES):
            return "iso2022_jp_ext"
        # ASCII is a subset of UTF-8, and 8-bit "ASCII" is nearly always UTF-8.
        return "utf-8"
    name = SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, label: str | None) -> str:
    codec = codec_for(label, data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    # Mislabelled: UTF-8 is by far the most common truth, then the browser default.
    for fallback in ("utf-8", "windows-1252"):
        try:
            return data.decode(fallback)
        except UnicodeDecodeError:
            continue
    return data.decode(codec, errors="replace")


def decode_header_value(raw: str | None) -> str:
    """An RFC 2047 header as text. Adjacent encoded words of one charset are joined
    as bytes before decoding, so a character split across two words survives."""
    if not raw:
        return ""
    raw = undo_surrogates(str(raw))
    try:
        chunks = decode_header(raw)
    except (ValueError, LookupError, AssertionError, HeaderParseError):
        return " ".join(raw.split())
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in chunks
    )
    return " ".join(text.replace("\x00", "").split())


def undo_surrogates(value: str) -> str:
    """Headers with raw 8-bit bytes arrive as surrogate escapes: recover the real text."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("utf-8", "surrogateescape")
        return decode_bytes(data, None)
