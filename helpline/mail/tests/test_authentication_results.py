"""Reading our receiving server's verdict from Authentication-Results (authentication.py)."""

import pytest

from helpline.mail.authentication import aligned, dkim_verdict

OURS = ["mx.helpline.example"]


@pytest.mark.parametrize(
    ("results", "verified", "reason"),
    [
        (["mx.helpline.example; dkim=pass header.d=example.com"], True,
         "dkim=pass header.d=example.com by mx.helpline.example"),
        (["MX.Helpline.Example; DKIM=pass header.d=Example.COM."], True,
         "dkim=pass header.d=example.com by mx.helpline.example"),
        (["mx.helpline.example; dkim=fail header.d=example.com; dkim=pass header.d=example.com"],
         True, "dkim=pass header.d=example.com by mx.helpline.example"),
        (["mx.helpline.example; dkim=pass header.d=evil.example"], False,
         "dkim=pass by mx.helpline.example is not for example.com"),
        (["mx.helpline.example; dkim=temperror header.d=example.com"], False,
         "no dkim=pass by mx.helpline.example"),
        (["mx.evil.example; dkim=pass header.d=example.com"], False,
         "no Authentication-Results from mx.helpline.example"),
        ([], False, "no Authentication-Results from mx.helpline.example"),
        (["spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com"], False,
         "an Authentication-Results header could not be read"),
    ],
)  # fmt: skip
def test_it_reads_the_topmost_trusted_verdict(results, verified, reason):
    verdict = dkim_verdict(results, "carol@example.com", OURS)
    assert (verdict.verified, verdict.reason) == (verified, reason)


def test_it_believes_nothing_without_a_trusted_authserv_id():
    results = ["mx.helpline.example; dkim=pass header.d=example.com"]
    assert dkim_verdict(results, "carol@example.com", OURS).verified
    verdict = dkim_verdict(results, "carol@example.com", [])
    assert (verdict.verified, verdict.reason) == (False, "no trusted authserv-id configured")


@pytest.mark.parametrize(
    ("signer", "from_domain", "expected"),
    [
        ("example.com", "example.com", True),
        ("example.com", "support.example.com", True),
        ("support.example.com", "example.com", False),
        ("example.com", "badexample.com", False),
        ("other.example.com", "support.example.com", False),
    ],
)
def test_it_aligns_a_signer_with_its_own_domain_and_subdomains_only(signer, from_domain, expected):
    assert aligned(signer, from_domain) is expected
