from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpline.accounts.actions import authenticate_token, create_api_token, revoke_api_token
from helpline.accounts.models import ApiToken, hash_token


@pytest.mark.django_db
class TestApiTokens:
    def test_it_stores_only_the_hash(self, carol):
        token, raw = create_api_token(user=carol, name="zapier", acting_user=carol)
        assert raw.startswith("hl_")
        assert len(raw) > 40
        assert token.key_hash == hash_token(raw)
        assert raw not in str(ApiToken.objects.values().get())

    def test_it_authenticates_until_revoked(self, carol):
        token, raw = create_api_token(user=carol, name="zapier", acting_user=carol)
        assert authenticate_token(raw) == carol
        revoke_api_token(token=token, acting_user=carol)
        assert authenticate_token(raw) is None

    def test_it_expires(self, carol):
        _token, raw = create_api_token(user=carol, name="short", days=1, acting_user=carol)
        with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
            assert authenticate_token(raw) is None

    def test_a_deactivated_agents_token_stops_working(self, carol):
        _token, raw = create_api_token(user=carol, name="t", acting_user=carol)
        carol.is_active = False
        carol.save()
        assert authenticate_token(raw) is None

    def test_two_tokens_are_never_equal(self, carol):
        raws = {create_api_token(user=carol, name="t", acting_user=carol)[1] for _ in range(20)}
        assert len(raws) == 20
