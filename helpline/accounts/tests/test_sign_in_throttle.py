"""Brute-force protection on /login/ and /admin/login/ (issue 12, item 3)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from helpline.accounts import signin

RIGHT = "correct horse battery"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _sign_in(client: Client, email: str, password: str, address: str, path: str = "/login/"):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(email: str, times: int, address: str = "10.0.0.1", path: str = "/login/") -> None:
    for _ in range(times):
        response = _sign_in(Client(), email, "wrong password", address, path)
        assert response.status_code in {200, 429}


@pytest.mark.django_db
def test_it_refuses_the_right_password_after_fifty_wrong_ones(carol, bob):
    _fail(carol.email, 50)

    client = Client()
    response = _sign_in(client, carol.email, RIGHT, "10.0.0.1")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not _signed_in(client)
    # Attempts refused during the lock did not count (nor cost a password check).
    assert signin.account_throttle().failures(carol.email) == 5

    # Another agent from another address is not held up.
    other = Client()
    assert _sign_in(other, bob.email, RIGHT, "10.0.0.2").status_code == 302
    assert _signed_in(other)


@pytest.mark.django_db
def test_it_signs_in_after_a_few_typos_and_forgets_them(carol):
    _fail(carol.email, 4)
    client = Client()
    assert _sign_in(client, carol.email, RIGHT, "10.0.0.1").status_code == 302
    assert _signed_in(client)
    assert signin.account_throttle().failures(carol.email) == 0


@pytest.mark.django_db
def test_it_locks_an_account_whatever_the_case_of_its_email(carol):
    _fail(carol.email.upper(), 3)
    _fail(f" {carol.email} ", 2)
    assert _sign_in(Client(), carol.email, RIGHT, "10.0.0.3").status_code == 429


@pytest.mark.django_db
def test_the_lock_expires_and_grows_with_each_further_failure(carol):
    with time_machine.travel(START, tick=False) as traveller:
        _fail(carol.email, 5)
        client = Client()
        response = _sign_in(client, carol.email, RIGHT, "10.0.0.1")
        assert response.status_code == 429
        assert "paused for 1 minute." in response.content.decode()

        traveller.shift(timedelta(seconds=61))
        _fail(carol.email, 1)  # the sixth failure: locked for two minutes now
        response = _sign_in(client, carol.email, RIGHT, "10.0.0.1")
        assert response.status_code == 429
        assert "paused for 2 minutes." in response.content.decode()

        traveller.shift(timedelta(seconds=90))
        assert _sign_in(client, carol.email, RIGHT, "10.0.0.1").status_code == 429
        traveller.shift(timedelta(seconds=31))
        assert _sign_in(client, carol.email, RIGHT, "10.0.0.1").status_code == 302
        assert _signed_in(client)


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_locked(carol, bob):
    for number in range(20):
        _fail(f"guess{number}@helpline.test", 1, address="10.0.0.9")

    refused = Client()
    assert _sign_in(refused, carol.email, RIGHT, "10.0.0.9").status_code == 429
    assert not _signed_in(refused)
    allowed = Client()
    assert _sign_in(allowed, carol.email, RIGHT, "10.0.0.10").status_code == 302
    assert _signed_in(allowed)


@pytest.mark.django_db
def test_an_ipv6_attacker_cannot_dodge_the_address_lock_within_a_64(carol):
    for number in range(20):
        _fail(f"guess{number}@helpline.test", 1, address=f"2001:db8:1:2::{number + 1:x}")
    assert _sign_in(Client(), carol.email, RIGHT, "2001:db8:1:2::ffff").status_code == 429
    assert _sign_in(Client(), carol.email, RIGHT, "2001:db8:1:3::1").status_code == 302


@pytest.mark.django_db
def test_an_unknown_account_is_locked_like_a_real_one():
    # The same answer for both, so a lock says nothing about which emails are agents.
    _fail("nobody@helpline.test", 5)
    response = _sign_in(Client(), "nobody@helpline.test", "anything", "10.0.0.4")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_sign_in_is_throttled_too(alice):
    _fail(alice.email, 5, path="/admin/login/")

    client = Client()
    response = _sign_in(client, alice.email, RIGHT, "10.0.0.1", path="/admin/login/")
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not _signed_in(client)
    # One count for both doors: the lock started at the admin holds at /login/.
    assert _sign_in(client, alice.email, RIGHT, "10.0.0.1").status_code == 429
    assert signin.account_throttle().failures(alice.email) == 5


@pytest.mark.django_db
def test_the_admin_sign_in_still_works_and_an_agent_knowing_his_password_is_no_failure(
    alice, carol
):
    refused = _sign_in(Client(), carol.email, RIGHT, "10.0.0.1", path="/admin/login/")
    assert "staff account" in refused.content.decode()
    assert signin.account_throttle().failures(carol.email) == 0
    client = Client()
    response = _sign_in(client, alice.email, RIGHT, "10.0.0.1", path="/admin/login/")
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_an_administrator_unlocks_an_agent_in_the_admin(alice, carol, bob):
    _fail(carol.email, 5)
    admin = Client()
    admin.force_login(alice)
    listing = admin.get("/admin/accounts/user/").content.decode()
    assert "Sign-in locked until" in listing

    response = admin.post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [carol.pk, bob.pk]},
        follow=True,
    )
    assert "Sign-in unlocked for 1 agent." in response.content.decode()
    client = Client()
    assert _sign_in(client, carol.email, RIGHT, "10.0.0.5").status_code == 302
    assert _signed_in(client)

    again = admin.post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [carol.pk]},
        follow=True,
    )
    assert "None of the selected agents had failed sign-ins." in again.content.decode()


@pytest.mark.django_db
def test_the_unlock_command_explains_it_cannot_reach_a_local_memory_cache(carol):
    _fail(carol.email, 5)
    with pytest.raises(CommandError, match="web server's memory"):
        call_command("unlock_sign_in", carol.email)
    assert _sign_in(Client(), carol.email, RIGHT, "10.0.0.6").status_code == 429


@pytest.mark.django_db
def test_on_redis_the_lock_holds_and_the_unlock_command_lifts_it(redis_cache, carol, capsys):
    _fail(carol.email, 50)
    assert _sign_in(Client(), carol.email, RIGHT, "10.0.0.7").status_code == 429

    call_command("unlock_sign_in", carol.email, "nobody@helpline.test", "--address", "10.0.0.1")
    output = capsys.readouterr().out
    assert f"Unlocked {carol.email}." in output
    assert "Unlocked 10.0.0.1." in output
    assert "nobody@helpline.test had no failed sign-ins." in output
    client = Client()
    assert _sign_in(client, carol.email, RIGHT, "10.0.0.7").status_code == 302
    assert _signed_in(client)
