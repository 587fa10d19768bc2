"""`flask --app connector …` commands: users, OAuth clients and tokens, the database, and `check`."""
from __future__ import annotations

import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .auth import credentials, purge, store
from .auth.audit import audit
from .auth.crypto import hash_password
from .auth.models import Grant, OAuthClient, Token, User

users = AppGroup("users", help="Local accounts that may sign in (api_key mode).")
clients = AppGroup("clients", help="Registered OAuth clients.")
tokens = AppGroup("tokens", help="Issued grants and tokens.")
db_cli = AppGroup("db", help="The OAuth store's schema and housekeeping.")
keys = AppGroup("keys", help="The keys that encrypt stored Attio credentials.")


def _session():
    return store.db().session


def _password(value: str | None) -> str:
    if value:
        return value
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, help="Prompted for when omitted (keeps it out of shell history).")
def users_create(username: str, name: str, password: str | None) -> None:
    """Create a local account."""
    if _session().query(User).filter_by(username=username).one_or_none():
        raise click.ClickException(f"user {username!r} already exists")
    secret = _password(password)
    if len(secret) < 10:
        raise click.ClickException("use a password of at least 10 characters")
    _session().add(User(id=secrets.token_hex(8), username=username, display_name=name or username,
                        password_hash=hash_password(secret)))
    _session().commit()
    click.echo(f"created user {username}")


@users.command("list")
def users_list() -> None:
    """List local accounts."""
    for user in _session().query(User).order_by(User.username):
        state = "disabled" if user.disabled_at else "active"
        click.echo(f"{user.username}\t{user.display_name}\t{state}\t{user.created_at:%Y-%m-%d}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", default=None)
def users_set_password(username: str, password: str | None) -> None:
    """Change a password (existing tokens stay valid; revoke them with `tokens revoke --user`)."""
    user = _session().query(User).filter_by(username=username).one_or_none()
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    user.password_hash = hash_password(_password(password))
    _session().commit()
    click.echo(f"password changed for {username}")


@users.command("delete")
@click.argument("username")
def users_delete(username: str) -> None:
    """Delete an account and revoke every grant it holds."""
    user = _session().query(User).filter_by(username=username).one_or_none()
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    count = store.revoke_where(subject=f"user:{user.id}", reason="user_deleted")
    _session().delete(user)
    _session().commit()
    click.echo(f"deleted {username}; revoked {count} grant(s)")


@clients.command("list")
def clients_list() -> None:
    """List clients."""
    for c in _session().query(OAuthClient).order_by(OAuthClient.created_at):
        state = "revoked" if c.revoked_at else "active"
        click.echo(f"{c.client_id}\t{c.source}\t{c.client_name}\t{state}")


@clients.command("show")
@click.argument("client_id")
def clients_show(client_id: str) -> None:
    """Show one client's metadata (never its secret)."""
    c = _session().get(OAuthClient, client_id)
    if c is None:
        raise click.ClickException(f"no client {client_id!r}")
    live = _session().query(Grant).filter(Grant.client_id == client_id, Grant.revoked_at.is_(None)).count()
    click.echo(f"client_id: {c.client_id}\nsource: {c.source}\nname: {c.client_name}\n"
               f"redirect_uris: {', '.join(c.client_metadata.get('redirect_uris', []))}\n"
               f"auth method: {c.client_metadata.get('token_endpoint_auth_method', 'none')}\n"
               f"created: {c.created_at:%Y-%m-%d %H:%M}\nactive grants: {live}")


@clients.command("revoke")
@click.argument("client_id")
def clients_revoke(client_id: str) -> None:
    """Revoke a client and every grant issued to it."""
    c = _session().get(OAuthClient, client_id)
    if c is None:
        raise click.ClickException(f"no client {client_id!r}")
    c.revoked_at = datetime.now(timezone.utc)
    _session().commit()
    count = store.revoke_where(client_id=client_id, reason="client_revoked")
    audit("client.revoked", client_id=client_id, grants=count)
    click.echo(f"revoked {client_id} and {count} grant(s)")


def _subject_for(username: str | None) -> str | None:
    if not username:
        return None
    user = _session().query(User).filter_by(username=username).one_or_none()
    return f"user:{user.id}" if user else username


@tokens.command("list")
@click.option("--user", "username", default=None, help="A username, or a raw subject such as demo:demo-user.")
@click.option("--client", "client_id", default=None)
def tokens_list(username: str | None, client_id: str | None) -> None:
    """List live tokens (ids and expiry only)."""
    query = _session().query(Token).filter(Token.revoked_at.is_(None))
    if username:
        query = query.filter(Token.subject == _subject_for(username))
    if client_id:
        query = query.filter(Token.client_id == client_id)
    for t in query.order_by(Token.issued_at):
        expired = "expired" if t.is_expired() else f"expires {t.access_expires_at:%Y-%m-%d %H:%M}"
        rotated = "" if t.rotated_at is None else " (rotated)"
        click.echo(f"{t.id}\t{t.subject}\t{t.client_id}\t{t.scope}\t{expired}{rotated}")


@tokens.command("revoke")
@click.option("--user", "username", default=None)
@click.option("--client", "client_id", default=None)
def tokens_revoke(username: str | None, client_id: str | None) -> None:
    """Revoke every grant (and token) of a user and/or client."""
    if not username and not client_id:
        raise click.ClickException("name --user and/or --client")
    count = store.revoke_where(subject=_subject_for(username), client_id=client_id, reason="revoked_by_operator")
    click.echo(f"revoked {count} grant(s)")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations (start-up does this too)."""
    from .auth.migrate import upgrade

    upgrade(current_app)
    click.echo("database is up to date")


@db_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path) -> None:
    """Write a consistent copy of the OAuth store to PATH (SQLite online backup, or pg_dump custom format)."""
    from .auth.backup import BackupError, backup

    try:
        kind = backup(current_app, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up the {kind} store to {path} (owner-only; restoring it needs the same SECRET_KEY and "
               "ENCRYPTION_KEYS)")


@db_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already holds clients or grants.")
def db_restore(path: Path, yes: bool) -> None:
    """Replace the OAuth store with the backup at PATH, then migrate it to this version's schema.

    A store that holds clients, grants or users is replaced only with --yes, or when you confirm at a terminal."""
    from .auth.backup import BackupError, restore

    def confirm(counts: dict[str, int]) -> bool:
        held = ", ".join(f"{n} {table.removeprefix('oauth_')}" for table, n in counts.items())
        return click.confirm(f"The database holds {held}. Replace them all with the backup?", default=False)

    try:
        kind = restore(current_app, path, overwrite=yes, confirm=confirm if sys.stdin.isatty() else None)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the {kind} store from {path}; database is up to date")


@db_cli.command("purge")
def db_purge() -> None:
    """Delete expired requests, codes, tokens and dead grants; wipe Attio credentials no live grant uses."""
    counts = purge.purge()
    click.echo("purged: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()))


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored Attio credential under the newest key (the first of ENCRYPTION_KEYS, else
    SECRET_KEY); run it after adding a key, before dropping the old one from the fallbacks."""
    counts = credentials.rotate_all()
    newest = store.keyring().key_ids[0]
    click.echo(f"re-encrypted {counts['rotated']} credential(s) under key {newest}; "
               f"{counts['current']} already under it; {counts['unreadable']} unreadable")
    if counts["unreadable"]:
        raise click.ClickException(f"no configured key opens {counts['unreadable']} credential(s): keep the key they "
                                   "were encrypted with in SECRET_KEY_FALLBACKS or ENCRYPTION_KEYS and run this again")


@click.command("check")
@with_appcontext
def check() -> None:
    """Validate the configuration and print the URLs to paste into ChatGPT."""
    cfg = current_app.config
    problems = []
    if not cfg["PUBLIC_URL"]:
        problems.append("PUBLIC_URL is not set: ChatGPT needs the public https URL (and it is the OAuth issuer)")
    elif not cfg["PUBLIC_URL"].startswith("https://"):
        problems.append("PUBLIC_URL is not https: ChatGPT only connects over HTTPS")
    if cfg.get("SECRET_KEY_GENERATED"):
        problems.append("SECRET_KEY is not set: a generated one is kept in the instance folder")
    if cfg["AUTH_DISABLED"]:
        problems.append("AUTH_DISABLED=true: anyone who can reach the URL can use the workspace")
    if cfg["MODE"] == "api_key" and not _session().query(User).count():
        problems.append("api_key mode has no users yet: flask --app connector users create <name>")
    base = cfg["PUBLIC_URL"] or "http://127.0.0.1:8000"
    click.echo(f"mode:            {cfg['MODE']}")
    click.echo(f"database:        {cfg['DATABASE_URL'].split('@')[-1]}")
    click.echo(f"MCP URL:         {base}/mcp   <- paste this into ChatGPT (Settings → Apps → Create)")
    click.echo(f"legacy SSE URL:  {base}/sse")
    click.echo(f"OAuth issuer:    {base}")
    click.echo(f"health:          {base}/healthz  {base}/readyz")
    for p in problems:
        click.echo(f"warning: {p}", err=True)
    if cfg.get("PRODUCTION") and problems:
        sys.exit(1)


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (users, clients, tokens, db_cli, keys, check):
        app.cli.add_command(group)
