"""Files on records (2026 reference §6), mixed into `AttioClient`: list, get, and a file's content, size-capped.

A download is two hops: Attio answers `302` to a short-lived signed URL on its storage, which is fetched
without the Attio token (it must never reach another host) and read only up to the caller's byte cap.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple
from urllib.parse import urljoin, urlsplit

import requests

from .errors import AttioError, AttioUnavailable
from .pages import Page
from .paths import compact as _compact, path as _path

CHUNK = 64 * 1024
NO_LINK = "Attio did not answer with a download link for this file."
BAD_LINK = "Attio's download link for this file is not an https URL; it was not followed."


class FileContent(NamedTuple):
    """A file's first `max_bytes` bytes: `truncated` when there was more."""

    content: bytes
    truncated: bool
    content_type: str | None


class FileEndpoints:
    """A record's files and folders, one entry, and a file's content."""

    request: Callable[..., Any]
    request_page: Callable[..., Page]
    exchange: Callable[..., requests.Response]
    fetch_outside: Callable[..., requests.Response]
    base_url: str

    def list_files(self, obj: str, record_id: str, *, storage_provider: str | None = None,
                   parent_folder_id: str | None = None, limit: int | None = None,
                   cursor: str | None = None) -> Page:
        """A record's files, folders and connected entries, every nesting level unless `parent_folder_id`:
        one page (limit 1-200, default 50). Items are told apart by `file_type` (file, folder, connected-file,
        connected-folder); `storage_provider` is attio, dropbox, box, google-drive or microsoft-onedrive."""
        params = _compact(object=obj, record_id=record_id, storage_provider=storage_provider,
                          parent_folder_id=parent_folder_id, limit=limit, cursor=cursor)
        return self.request_page("/v2/files", params)

    def get_file(self, file_id: str) -> dict[str, Any]:
        """One file or folder (a folder also says `has_children`)."""
        return self.request("GET", _path("files", file_id))

    def download_file(self, file_id: str, *, max_bytes: int) -> FileContent:
        """The first `max_bytes` bytes of an Attio-stored file (folders and connected files cannot be downloaded:
        Attio answers 400)."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        redirect = self.exchange("GET", _path("files", file_id, "download"), redirects=True)
        location = redirect.headers.get("Location")
        if not location or not 300 <= redirect.status_code < 400:
            raise AttioError(NO_LINK, status=redirect.status_code, code="invalid_response")
        url = urljoin(self.base_url + "/", location)
        if not _allowed(url, self.base_url):
            raise AttioError(BAD_LINK, status=redirect.status_code, code="invalid_download_url")
        try:
            resp = self.fetch_outside(url)
        except requests.RequestException as exc:
            raise AttioUnavailable(f"the file's download link could not be read ({type(exc).__name__})",
                                   code="download_failed") from None
        with resp:
            if resp.status_code != 200:
                raise AttioError(f"The file's download link answered HTTP {resp.status_code} (it may have expired; "
                                 "try again).", status=resp.status_code, code="download_failed")
            return _read_capped(resp, max_bytes)


def _allowed(url: str, base_url: str) -> bool:
    """https anywhere (Attio's storage), or the API's own origin (a local Attio such as the demo)."""
    target, base = urlsplit(url), urlsplit(base_url)
    if target.username or target.password:
        return False
    if target.scheme == "https" and target.hostname:
        return True
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


def _read_capped(resp: requests.Response, max_bytes: int) -> FileContent:
    """Read at most `max_bytes` (plus one byte to know whether there was more)."""
    got, size = [], 0
    try:
        for chunk in resp.iter_content(CHUNK):
            got.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                break
    except requests.RequestException as exc:
        raise AttioUnavailable(f"the file's content could not be read ({type(exc).__name__})",
                               code="download_failed") from None
    content = b"".join(got)
    return FileContent(content[:max_bytes], len(content) > max_bytes, resp.headers.get("Content-Type"))
