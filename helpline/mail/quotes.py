"""The new part of an emailed reply: quoted history and signature cut, sign-off kept.

Top-posted replies end where the quoted history starts (an attribution line
such as "On … wrote:" or an Outlook "From:/Sent:" block). Bottom-posted and
inline replies keep every unquoted line and lose the `>` lines and their
attributions. A signature is what follows the "-- " line, or a
"Sent from my phone" line at the very end.
"""

import re

ATTRIBUTION = re.compile(
    r"^\s*(On\s.+\swrote:|On\s.+\swrites:|.+\swrites:|Am\s.+\sschrieb\s.*:|"
    r"Le\s.+\sa\s[ée]crit\s?:|El\s.+\sescribi[óo]:|Il\s.+\sha\sscritto:|Op\s.+\sschreef\s.+:|"
    r"W\sdniu\s.+\spisze:|Den\s.+\sskrev\s.+:)\s*$",
    re.IGNORECASE,
)
OUTLOOK_SEPARATORS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*_{10,}\s*$"),
]
HEADER_BLOCK_START = re.compile(r"^\s*\*?(From|Von|De|Van|Da|Från|Od)\s?\*?:\s", re.I)
HEADER_BLOCK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Inviato|Skickat|Wysłano|To|An|À|Subject|Betreff|Objet)\s?\*?:",
    re.I,
)
MOBILE_SIGNATURE = re.compile(
    r"^\s*(Sent from my \w+|Sent from (Mail|Outlook) for \w+|Get Outlook for \w+|"
    r"Von meinem \w+ gesendet|Envoyé de mon \w+|Enviado desde mi \w+)\b.*$",
    re.IGNORECASE,
)


def visible_reply(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    lines = _join_wrapped_attributions(lines)
    lines = lines[: _history_start(lines)]
    lines = _drop_quotes(lines)
    lines = _drop_signature(lines)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines))
    return cleaned.strip() or text.strip()


def _join_wrapped_attributions(lines: list[str]) -> list[str]:
    """Gmail wraps long "On … <address> wrote:" lines; put them back together."""
    joined: list[str] = []
    skip = False
    for index, line in enumerate(lines):
        if skip:
            skip = False
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (
            not ATTRIBUTION.match(line)
            and re.match(r"^\s*(On|Am|Le|El|Il|Op)\s", line)
            and ATTRIBUTION.match(f"{line} {following.strip()}")
        ):
            joined.append(f"{line} {following.strip()}")
            skip = True
        else:
            joined.append(line)
    return joined


def _history_start(lines: list[str]) -> int:
    """Where an unquoted (Outlook-style) or top-posted history begins."""
    for index, line in enumerate(lines):
        if any(p.match(line) for p in OUTLOOK_SEPARATORS) and _has_text_before(lines, index):
            return index
        if HEADER_BLOCK_START.match(line) and _header_block(lines, index):
            return index if _has_text_before(lines, index) else len(lines)
        if ATTRIBUTION.match(line) and _only_quotes_after(lines, index):
            return index
    return len(lines)


def _has_text_before(lines: list[str], index: int) -> bool:
    return any(line.strip() for line in lines[:index])


def _header_block(lines: list[str], index: int) -> bool:
    return any(HEADER_BLOCK_NEXT.match(line) for line in lines[index + 1 : index + 4])


def _only_quotes_after(lines: list[str], index: int) -> bool:
    rest = [line for line in lines[index + 1 :] if line.strip()]
    return bool(rest) and all(line.lstrip().startswith(">") for line in rest)


def _drop_quotes(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if ATTRIBUTION.match(line) and _next_text_is_quote(lines, index):
            continue
        kept.append(line)
    return kept


def _next_text_is_quote(lines: list[str], index: int) -> bool:
    for line in lines[index + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True


def _drop_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line in {"-- ", "--"} and _has_text_before(lines, index):
            lines = lines[:index]
            break
    while lines and (not lines[-1].strip() or MOBILE_SIGNATURE.match(lines[-1])):
        lines = lines[:-1]
    return lines
