"""What the consent page says about a client, and whether that still holds when the person answers.

The page names the client, where it sends the person back, and warns when nothing vouches for
the name. A fingerprint of the client description shown is kept on the pending request: if the
stored description changed before Allow (a metadata document re-fetched by another request), the
answer is refused rather than applied to a client the person never saw.
"""
from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from . import store
from .clients import private_use_scheme
from .models import PendingAuthorization

KNOWN_CLIENT_DOMAINS = ("chatgpt.com", "openai.com")


def known_host(host: str) -> bool:
    """A host of a known hosted client (ChatGPT), or a subdomain of one."""
    return any(host == d or host.endswith(f".{d}") for d in KNOWN_CLIENT_DOMAINS)


def client_context(client: Any, redirect_uri: str) -> dict[str, Any]:
    """The client as the consent page shows it: name, id, redirect host, kind and warnings."""
    parts = urlsplit(redirect_uri)
    host = parts.hostname or ""
    shown = f"{host}:{parts.port}" if parts.port else host  # on loopback the port is what tells apps apart
    warnings = []
    scheme = private_use_scheme(redirect_uri)
    if scheme:  # a native app's own scheme (application_type native): whatever app claims it on the device
        shown = f"{scheme}:"
        warnings.append(f"This client returns to an app on your device ({scheme}:). "
                        "Allow it only if you installed that app and started this connection from it.")
    if host in ("127.0.0.1", "localhost", "::1"):
        warnings.append("This client redirects to your own computer (localhost). Allow it only if you started it.")
    if client.row.source == "cimd":
        # Anyone can publish a document naming itself "ChatGPT"; only a known host's document is vouched for.
        doc_host = urlsplit(client.client_id).hostname or ""
        if not (known_host(doc_host) and known_host(host)):
            warnings.append(f"This client is described by a document on {doc_host}; its name is not verified.")
    elif not known_host(host):
        warnings.append("This client registered itself; its name is not verified.")
    return {"name": client.name, "client_id": client.client_id, "redirect_host": shown,
            "client_uri": client.meta.get("client_uri"),
            "kind": "metadata document" if client.row.source == "cimd" else "registered", "warnings": warnings}


def still_as_shown(pending: PendingAuthorization) -> bool:
    """The client is still described as it was on the consent page (nobody re-fetched a changed document)."""
    client = store.query_client(pending.client_id)
    return client is not None and bool(pending.client_fingerprint) and \
        hmac.compare_digest(client.fingerprint, pending.client_fingerprint or "")
