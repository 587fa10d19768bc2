"""Security headers, set in one place for every response the app sends.

- every response: `X-Content-Type-Options: nosniff`;
- over https (as seen after ProxyFix, see TRUSTED_PROXY_HOPS): `Strict-Transport-Security`;
- every `text/html` response (the sign-in, consent and error pages): a Content-Security-Policy with
  no script at all, `frame-ancestors 'none'`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`
  and `Cache-Control: no-store` (the pages carry one-time form tokens).

A view whose form posts to another origin (the consent page answers the client's redirect URI, or
starts Attio's sign-in) puts that origin in `g.form_targets`; the policy's `form-action` lists it.
"""
from __future__ import annotations

from typing import Iterable

from flask import Flask, Response, g, request

HSTS = "max-age=31536000; includeSubDomains"

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """The policy for our HTML pages: own stylesheet and images only, no script, no framing."""
    targets = " ".join(sorted(set(form_targets)))
    form_action = f"form-action 'self' {targets}".rstrip()
    return ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"{form_action}; frame-ancestors 'none'; base-uri 'none'")


def secure_headers(resp: Response) -> Response:
    """The after_request hook: headers for every response, more for HTML pages."""
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure:
        resp.headers["Strict-Transport-Security"] = HSTS
    if resp.mimetype == "text/html":
        resp.headers["Content-Security-Policy"] = content_security_policy(getattr(g, "form_targets", ()))
        resp.headers.update(PAGE_HEADERS)
    return resp


def init_headers(app: Flask) -> None:
    """Install the hook on the whole app (blueprints, error handlers and static files included)."""
    app.after_request(secure_headers)
