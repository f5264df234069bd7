"""Does the mail server that received a message vouch for its sender's domain?

A `From:` header is whatever the sender typed. What can be believed is the
verdict of *our own* receiving server, written into the message as an
`Authentication-Results` header (RFC 8601) that starts with its authserv-id.
Anyone can add such a header before sending, with any authserv-id, so:

- only headers naming an authserv-id the mailbox trusts count;
- of those, only the topmost: a receiving server adds its header above
  everything the message already carried, so a header below it with the same
  id came from upstream (the server should also strip those; docs/email.md);
- it must say `dkim=pass` for a signature whose `header.d` is the From domain
  or a parent of it (the domain's owner vouches for the message).

Headers are parsed with `authres`, the parser dkimpy and others use.
"""

import re
from dataclasses import dataclass

import authres

FOLD = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str


def dkim_verdict(results: list[str], from_address: str, trusted: list[str]) -> Verdict:
    """`results`: the message's Authentication-Results values, topmost first."""
    if not trusted:
        return Verdict(False, "no trusted authserv-id configured")
    for value in results:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(FOLD.sub("", value).strip())
        except authres.AuthResError:
            # Unreadable, so we cannot tell whose it is: it may be our server's own.
            return Verdict(False, "an Authentication-Results header could not be read")
        authserv_id = str(header.authserv_id or "").lower()
        if authserv_id in trusted:
            return _judge(header, from_address, authserv_id)
    return Verdict(False, f"no Authentication-Results from {', '.join(trusted)}")


def _judge(header: object, from_address: str, authserv_id: str) -> Verdict:
    from_domain = _domain(from_address.rpartition("@")[2])
    passed = [
        _signing_domain(result)
        for result in getattr(header, "results", [])
        if str(result.method).lower() == "dkim" and str(result.result).lower() == "pass"
    ]
    for signer in passed:
        if signer and aligned(signer, from_domain):
            return Verdict(True, f"dkim=pass header.d={signer} by {authserv_id}")
    if passed:
        return Verdict(False, f"dkim=pass by {authserv_id} is not for {from_domain}")
    return Verdict(False, f"no dkim=pass by {authserv_id}")


def _signing_domain(result: object) -> str:
    """`header.d`, read from the generic properties: authres gives its DKIM class
    (with `header_d`) only to a lower-case `dkim`, but method names ignore case."""
    for prop in getattr(result, "properties", []):
        if str(prop.type).lower() == "header" and str(prop.name).lower() == "d":
            return _domain(str(prop.value or ""))
    return ""


def aligned(signer: str, from_domain: str) -> bool:
    """The signing domain is the From domain or a parent of it (`example.com` signs
    for `mail.example.com`); never the other way round, never a sibling."""
    return from_domain == signer or from_domain.endswith("." + signer)


def _domain(value: str) -> str:
    return value.strip().strip(".").lower()
