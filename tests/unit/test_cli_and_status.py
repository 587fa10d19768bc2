"""The operator surface: `flask` commands (through Flask's CLI runner) and /status."""
from __future__ import annotations

import pytest

from tests.apps import migrated_app as create_app
from connector.auth.crypto import check_password
from connector.auth.models import Grant, OAuthClient, Token, User


@pytest.fixture()
def app(tmp_path):
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "s" * 40,
                       "ATTIO_API_KEY": "key-for-tests", "STATUS_TOKEN": "status-secret-123",
                       "RATE_LIMITS_ENABLED": False}, environ={})


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result


def session(app):
    return app.extensions["db"].session


def test_users_create_list_set_password_delete(app):
    out = run(app, "users", "create", "alice", "--name", "Alice A", "--password", "correct horse battery")
    assert out.exit_code == 0 and "created user alice" in out.output
    with app.app_context():
        user = session(app).query(User).filter_by(username="alice").one()
        assert user.password_hash != "correct horse battery" and check_password(user.password_hash,
                                                                                "correct horse battery")
    assert "already exists" in run(app, "users", "create", "alice", "--password", "x" * 12).output
    assert "at least 10" in run(app, "users", "create", "bob", "--password", "short").output
    listed = run(app, "users", "list").output
    assert "alice\tAlice A\tactive" in listed
    assert run(app, "users", "set-password", "alice", "--password", "another long one").exit_code == 0
    with app.app_context():
        assert check_password(session(app).query(User).filter_by(username="alice").one().password_hash,
                              "another long one")
    assert "no user 'nobody'" in run(app, "users", "delete", "nobody").output
    assert "deleted alice" in run(app, "users", "delete", "alice").output
    assert "alice" not in run(app, "users", "list").output


def test_password_prompt_keeps_it_out_of_argv(app):
    out = run(app, "users", "create", "carol", input="a long password\na long password\n")
    assert out.exit_code == 0 and "created user carol" in out.output


def _client_with_grant(app):
    c = app.test_client()
    r = c.post("/oauth/register", json={"client_name": "cli-test", "redirect_uris": ["https://client.example/cb"]})
    client_id = r.get_json()["client_id"]
    with app.app_context():
        s = session(app)
        s.add(Grant(id="g_1", subject="user:u1", client_id=client_id, scope="attio:read"))
        s.flush()
        from datetime import datetime, timedelta, timezone
        s.add(Token(id="t_1", grant_id="g_1", client_id=client_id, subject="user:u1", access_hash="a" * 64,
                    scope="attio:read", access_expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
        s.commit()
    return client_id


def test_clients_and_tokens(app):
    client_id = _client_with_grant(app)
    assert client_id in run(app, "clients", "list").output
    shown = run(app, "clients", "show", client_id).output
    assert "name: cli-test" in shown and "https://client.example/cb" in shown and "active grants: 1" in shown
    assert "secret" not in shown.replace("client_secret_", "")
    assert "t_1\tuser:u1" in run(app, "tokens", "list", "--client", client_id).output
    assert "name --user and/or --client" in run(app, "tokens", "revoke").output
    assert "revoked 1 grant(s)" in run(app, "tokens", "revoke", "--client", client_id).output
    with app.app_context():
        assert session(app).get(Grant, "g_1").revoked_at is not None
        assert session(app).get(Token, "t_1").revoked_at is not None
    assert "revoked" in run(app, "clients", "revoke", client_id).output
    with app.app_context():
        assert session(app).get(OAuthClient, client_id).revoked_at is not None


def test_check_prints_the_urls_and_warns(app):
    out = run(app, "check")
    assert out.exit_code == 0
    assert "MCP URL:         http://127.0.0.1:8000/mcp" in out.output
    assert "PUBLIC_URL is not set" in out.output
    assert "api_key mode has no users yet" in out.output


def test_status_needs_its_token_and_counts(app):
    _client_with_grant(app)
    c = app.test_client()
    assert c.get("/status").status_code == 401
    assert c.get("/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
    body = c.get("/status", headers={"Authorization": "Bearer status-secret-123"}).get_json()
    assert body["mode"] == "api_key" and body["auth"] == "oauth"
    assert body["clients"]["total"] == 1 and body["active_grants"] == 1 and body["live_access_tokens"] == 1
    assert "status-secret-123" not in str(body)
    assert set(body["attio_cache"]) == {"hits", "misses"}


def test_status_is_off_without_a_token(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "SECRET_KEY": "s" * 40}, environ={})
    assert app.test_client().get("/status").status_code == 404


def test_production_refuses_auth_disabled():
    from connector.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="AUTH_DISABLED=true is refused"):
        load_settings({"PRODUCTION": "true", "ATTIO_API_KEY": "k", "SECRET_KEY": "s" * 40,
                       "PUBLIC_URL": "https://c.example.com", "AUTH_DISABLED": "true"})
