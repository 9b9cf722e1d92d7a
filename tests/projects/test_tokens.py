"""API tokens: hashed storage, revocation, the create_api_token command, the token page and the header."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from formats import jsonio
from labeling.creation import create_project
from projects import tokens
from projects.management.commands.create_api_token import Command
from projects.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", password="pw-owner-123")


class TestTokens:
    def test_only_a_hash_is_stored(self, owner):
        token, key = tokens.create_token(owner, "ci")
        stored = ApiToken.objects.get(pk=token.pk)
        assert key not in (stored.key_hash, stored.prefix)
        assert stored.key_hash == tokens.hash_key(key)
        assert key.startswith(stored.prefix)

    def test_key_finds_its_user_and_records_use(self, owner):
        token, key = tokens.create_token(owner, "ci")
        assert tokens.user_for_key(key) == owner
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_wrong_revoked_and_inactive_are_refused(self, owner):
        token, key = tokens.create_token(owner, "ci")
        for bad in ("", "ly_nope", key + "x", None):
            with pytest.raises(tokens.TokenRejected):
                tokens.user_for_key(bad)
        assert tokens.revoke(owner, token.pk)
        assert not tokens.revoke(owner, token.pk)  # revoking twice changes nothing
        with pytest.raises(tokens.TokenRejected):
            tokens.user_for_key(key)
        other_key = tokens.create_token(owner, "ci2")[1]
        owner.is_active = False
        owner.save()
        with pytest.raises(tokens.TokenRejected):
            tokens.user_for_key(other_key)

    def test_a_user_cannot_revoke_another_users_token(self, owner, django_user_model):
        token, key = tokens.create_token(owner, "ci")
        assert not tokens.revoke(django_user_model.objects.create_user("mallory"), token.pk)
        assert tokens.user_for_key(key) == owner


class TestCreateApiTokenCommand:
    def test_prints_a_working_key(self, owner):
        out = StringIO()
        call_command("create_api_token", "owner", "--name", "laptop", stdout=out)
        key = out.getvalue().strip()
        assert tokens.user_for_key(key) == owner
        assert owner.api_tokens.get().name == "laptop"

    def test_unknown_user_is_a_sentence(self):
        with pytest.raises(CommandError, match="there is no user named ghost"):
            Command().create_user_token("ghost", "x")


class TestTokenPage:
    def test_create_shows_key_once_then_revoke(self, client, owner):
        client.force_login(owner)
        page = client.post(reverse("projects:api_tokens"), {"action": "create", "name": "notebook"}).content.decode()
        token = owner.api_tokens.get()
        assert "new-token" in page and token.prefix in page
        assert "new-token" not in client.get(reverse("projects:api_tokens")).content.decode()
        client.post(reverse("projects:api_tokens"), {"action": "rename", "token": token.pk, "name": "renamed"})
        client.post(reverse("projects:api_tokens"), {"action": "revoke", "token": token.pk})
        token.refresh_from_db()
        assert token.name == "renamed"
        assert not token.is_active

    def test_nav_links_the_page(self, client, owner):
        client.force_login(owner)
        assert reverse("projects:api_tokens") in client.get(reverse("projects:list")).content.decode()


class TestTokenHeader:
    """`Authorization: Token <key>` on the native API."""

    def test_token_reaches_own_projects_only(self, client, owner, django_user_model):
        create_project("Mine", None, owner=owner)
        create_project("Theirs", None, owner=django_user_model.objects.create_user("other"))
        key = tokens.create_token(owner, "ci")[1]
        response = client.get("/api/projects", HTTP_AUTHORIZATION=f"Token {key}")
        assert [p["name"] for p in response.json()["results"]] == ["Mine"]

    def test_wrong_or_revoked_token_is_401(self, client, owner):
        token, key = tokens.create_token(owner, "ci")
        for header in ("Token ly_wrong", "Token", "Token a b"):
            response = client.get("/api/projects", HTTP_AUTHORIZATION=header)
            assert response.status_code == 401
            assert set(jsonio.loads(response.content)) == {"detail", "code", "errors"}
        tokens.revoke(owner, token.pk)
        assert client.get("/api/projects", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401

    def test_no_credentials_is_401(self, client):
        assert client.get("/api/projects").status_code == 401
