"""Files on records (attio-api-2026.md §6): Attio-stored files, folders and connected (Drive, Dropbox…) entries.

Entries are stored in their API shapes (discriminated by `file_type`); an Attio-stored file's bytes are kept
beside them. A download answers 302 to a short-lived signed URL on the demo itself (`/_files/<id>`), as Attio
redirects to its storage.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from .errors import invalid, not_found
from .store import Workspace

PROVIDERS = ("attio", "dropbox", "box", "google-drive", "microsoft-onedrive")
_KEY = secrets.token_bytes(32)  # signs download URLs; per process


def entry(ws: Workspace, fid: str) -> dict[str, Any]:
    """A stored entry, else 404."""
    f = ws.files.get(fid)
    if f is None:
        raise not_found(f'File with ID "{fid}" was not found.')
    return f


def with_children(ws: Workspace, f: dict[str, Any]) -> dict[str, Any]:
    """GET one: a folder also says whether it has children."""
    if f["file_type"] != "folder":
        return f
    fid = f["id"]["file_id"]
    return {**f, "has_children": any(x.get("parent_folder_id") == fid for x in list(ws.files.values()))}


def of_record(ws: Workspace, args: Any) -> list[dict[str, Any]]:
    """GET /v2/files without paging: a record's entries, oldest first, optionally by provider and folder."""
    obj_key, rid = args.get("object"), args.get("record_id")
    if not obj_key or not rid:
        raise invalid('Query parameters "object" and "record_id" are required.')
    obj = ws.object_def(obj_key)
    ws.record(obj, rid)
    provider, parent = args.get("storage_provider"), args.get("parent_folder_id")
    if provider is not None and provider not in PROVIDERS:
        raise invalid(f'Query parameter "storage_provider" must be one of {", ".join(PROVIDERS)}.')
    out = [f for f in list(ws.files.values()) if f["object_id"] == obj.id and f["record_id"] == rid
           and (provider is None or f["storage_provider"] == provider)
           and (parent is None or f.get("parent_folder_id") == parent)]
    return sorted(out, key=lambda f: (f["created_at"], f["id"]["file_id"]))


def _signature(fid: str, expires: int) -> str:
    return hmac.new(_KEY, f"{fid}:{expires}".encode(), hashlib.sha256).hexdigest()


def download_url(base: str, f: dict[str, Any], ttl: float) -> str:
    """A signed URL for an Attio-stored file's content; 400 for folders and connected entries."""
    if f["file_type"] == "folder":
        raise invalid("Folders cannot be downloaded.")
    if f["storage_provider"] != "attio":
        raise invalid(f'This file is stored in {f["storage_provider"]}: open it there.')
    fid, expires = f["id"]["file_id"], int(time.time() + ttl)
    return f"{base}/_files/{fid}?{urlencode({'expires': expires, 'signature': _signature(fid, expires)})}"


def signed(fid: str, expires: str | None, signature: str | None) -> bool:
    """Whether a download URL is genuine and unexpired."""
    if not expires or not expires.isdigit() or not signature or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature, _signature(fid, int(expires)))
