"""The Flask test client's interface over a real socket, so tests/oauth/flow.py's builders drive a live server.

Requests go to the server's loopback port with `Host: localhost`, so the issuer is the same `http://localhost`
the in-process tests use; the browser cookie is kept per client like a browser's.
"""
from __future__ import annotations

from typing import Any

import requests


class LiveResponse:
    """A requests.Response answering like a Werkzeug test response."""

    def __init__(self, resp: requests.Response) -> None:
        self.raw = resp
        self.status_code = resp.status_code
        self.headers = resp.headers

    def get_data(self, as_text: bool = False) -> Any:
        """The body (text when asked)."""
        return self.raw.text if as_text else self.raw.content

    def get_json(self) -> Any:
        """The body as JSON."""
        return self.raw.json()


class LiveClient:
    """`get`/`post` like FlaskClient, against `base` (http://127.0.0.1:port)."""

    def __init__(self, base: str, host: str = "localhost") -> None:
        self.base = base
        self.host = host
        self.http = requests.Session()

    def _headers(self, headers: Any) -> dict[str, str]:
        return {"Host": self.host, **dict(headers or {})}

    def get(self, path: str, headers: Any = None) -> LiveResponse:
        """GET without following redirects."""
        return LiveResponse(self.http.get(self.base + path, headers=self._headers(headers), allow_redirects=False,
                                          timeout=20))

    def post(self, path: str, json: Any = None, data: Any = None, headers: Any = None) -> LiveResponse:
        """POST a JSON or form body without following redirects."""
        return LiveResponse(self.http.post(self.base + path, json=json, data=data, headers=self._headers(headers),
                                           allow_redirects=False, timeout=20))
