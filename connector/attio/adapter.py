"""A requests transport adapter without the per-call work the Attio client never needs.

`HTTPAdapter.send` itself is kept (so `responses` and any mounted adapter behave as usual);
around it, the connection pool is looked up once per (scheme, host, TLS settings) instead of
re-deriving it from the URL each call, and responses are built without the cookie jar and
charset sniffing (Attio sets no cookies; bodies are JSON, decoded from bytes).
"""
from __future__ import annotations

from typing import Any

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from requests.structures import CaseInsensitiveDict


class LeanAdapter(HTTPAdapter):
    """HTTPAdapter with a memoised pool lookup and a cookie-free `build_response`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools: dict[tuple[Any, ...], Any] = {}

    def get_connection_with_tls_context(self, request: PreparedRequest, verify: Any, proxies: Any = None,
                                        cert: Any = None) -> Any:
        if proxies:  # proxy selection depends on the URL: take the general path
            return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        url = request.url or ""
        key = (url[: url.find("/", 8)], str(verify), str(cert))
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = super().get_connection_with_tls_context(request, verify, cert=cert)
        return pool

    def build_response(self, req: PreparedRequest, resp: Any) -> Response:
        response = Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = "utf-8"
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url or ""
        response.request = req
        response.connection = self
        return response

    def close(self) -> None:
        self._pools.clear()
        super().close()
