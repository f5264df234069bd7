"""A row named by a request: found, not named, or a 422 on the field that named it."""

import pytest
from django.core.exceptions import ValidationError

from helpline.accounts.models import Team
from helpline.lib.lookups import named_row


@pytest.mark.django_db
class TestNamedRow:
    def test_it_finds_the_row_by_any_lookup(self, tech_team):
        teams = Team.objects.all()
        found = named_row(teams, field="team_id", value=tech_team.pk, missing=lambda: "none")
        assert found == tech_team
        by_name = named_row(
            teams, field="team", value="technical support", lookup="name__iexact",
            missing=lambda: "none",
        )  # fmt: skip
        assert by_name == tech_team

    def test_nothing_named_is_none(self, tech_team):
        assert named_row(Team.objects.all(), field="team_id", value=None, missing=str) is None

    def test_a_name_that_matches_nothing_is_an_error_on_its_field(self, tech_team):
        with pytest.raises(ValidationError) as raised:
            named_row(
                Team.objects.all(), field="team_id", value=tech_team.pk + 1,
                missing=lambda: "No team has that id.",
            )  # fmt: skip
        assert raised.value.message_dict == {"team_id": ["No team has that id."]}
