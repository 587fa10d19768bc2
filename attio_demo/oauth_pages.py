"""The demo Attio's plain HTML pages for OAuth: the consent page and the error page.

Every interpolated value is HTML-escaped; the pages load nothing external.
"""
from __future__ import annotations

from typing import Iterable

from flask import Response
from markupsafe import Markup, escape

from .store import Workspace

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
fieldset{{border:1px solid #ccc;border-radius:6px;margin:1rem 0}}label{{display:block;margin:.4rem 0}}
button{{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem}}</style></head>
<body>{body}</body></html>"""


def _page(title: str, body: Markup, status: int) -> Response:
    html = _PAGE.format(title=escape(title), body=body)
    return Response(html, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def error_page(title: str, detail: str, status: int = 400) -> Response:
    """A plain error page (never a redirect): shown for an unknown client or a bad redirect URI."""
    body = Markup("<h1>{}</h1><p>{}</p>").format(title, detail)
    return _page(f"Demo Attio — {title}", body, status)


def consent_page(app_name: str, workspaces: Iterable[Workspace], hidden: dict[str, str]) -> Response:
    """ "Demo Attio — authorize <app>?": pick a workspace, then Approve or Deny (POST /authorize)."""
    title = f"Demo Attio — authorize {app_name}?"
    choices = Markup("").join(
        Markup('<label><input type="radio" name="workspace" value="{}"{}> {}</label>').format(
            ws.slug, Markup(" checked") if n == 0 else "", ws.name)
        for n, ws in enumerate(workspaces))
    fields = Markup("").join(Markup('<input type="hidden" name="{}" value="{}">').format(k, v)
                             for k, v in hidden.items())
    body = Markup(
        "<h1>{}</h1><p><strong>{}</strong> asks for access to one of your Attio workspaces, with the "
        "scopes configured on the app. You can revoke it at any time.</p>"
        '<form method="post" action="/authorize">{}<fieldset><legend>Workspace</legend>{}</fieldset>'
        '<button type="submit" name="decision" value="approve">Approve</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    ).format(title, app_name, fields, choices)
    return _page(title, body, 200)
