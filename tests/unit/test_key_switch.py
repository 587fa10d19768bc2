"""Moving stored Attio credentials from the SECRET_KEY-derived key to ENCRYPTION_KEYS (docs/operations.md, Key
rotation): setting ENCRYPTION_KEYS keeps the old credentials readable, `flask keys rotate` moves them under it, and
from then on they no longer depend on SECRET_KEY."""
from __future__ import annotations

from cryptography.fernet import Fernet

from connector import create_app
from connector.auth.migrate import upgrade
from connector.auth.models import UpstreamCredential
from tests.oauth import flow

TOKEN = "attio-token-switch-" + "x" * 40


def app_with(db_url: str, **config):
    return create_app(flow.make_app(None).config.copy() | {"DATABASE_URL": db_url, **config}, environ={})


def decrypt(app) -> str | None:
    with app.app_context():
        cred = app.extensions["db"].session.get(UpstreamCredential, "uc-switch")
        return app.extensions["keyring"].decrypt(cred.ciphertext)


def test_switching_to_encryption_keys_keeps_credentials_then_rotate_moves_them(tmp_path):
    db_url = flow.sqlite_url(tmp_path / "store.sqlite")
    before = app_with(db_url)
    upgrade(before)
    with before.app_context():
        ciphertext, key_id = before.extensions["keyring"].encrypt(TOKEN)
        before.extensions["db"].session.add(UpstreamCredential(id="uc-switch", subject="person-1",
                                                               ciphertext=ciphertext, key_id=key_id))
        before.extensions["db"].session.commit()

    new_key = Fernet.generate_key().decode()
    switched = app_with(db_url, ENCRYPTION_KEYS=[new_key])
    assert decrypt(switched) == TOKEN  # still readable under the derived key
    out = switched.test_cli_runner().invoke(args=["keys", "rotate"])
    assert out.exit_code == 0 and "re-encrypted 1 credential(s)" in out.output, out.output

    other_secret = app_with(db_url, ENCRYPTION_KEYS=[new_key], SECRET_KEY="another-secret-key-" + "y" * 32)
    assert decrypt(other_secret) == TOKEN  # now under ENCRYPTION_KEYS alone
    assert decrypt(app_with(db_url, SECRET_KEY="another-secret-key-" + "y" * 32)) is None
