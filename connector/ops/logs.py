"""Logging: one line per event, level from LOG_LEVEL, text or JSON (LOG_FORMAT=json, python-json-logger), and the
request id (X-Request-ID accepted or generated, echoed) on every line of a request."""
from __future__ import annotations

import logging

from flask import Flask, Response, g, request

from ..logformat import formatter
from ..requestid import REQUEST_ID, RequestIdFilter, choose


class OurHandler(logging.StreamHandler):
    """The root handler this module installs (the one whose format it may change)."""


def init_logging(app: Flask) -> None:
    """Configure the root logger once per process and say what mode the app runs in."""
    level = getattr(logging, app.config["LOG_LEVEL"])
    root = logging.getLogger()
    if not root.handlers:
        handler = OurHandler()
        handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
        root.addHandler(handler)
        root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        if isinstance(handler, OurHandler):
            handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
    logging.getLogger("connector").setLevel(level)
    if app.config["MODE"] == "demo":
        logging.getLogger("connector").info(
            "DEMO MODE: serving the built-in sample Attio workspace at %s (no real data)", app.config["ATTIO_API_URL"])
    if app.config.get("SECRET_KEY_GENERATED") and app.config["MODE"] != "demo":
        logging.getLogger("connector").warning("SECRET_KEY is not set; using a random one for this process")


def _begin() -> None:
    g.request_id = choose(request.headers.get("X-Request-ID"))
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _echo(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers["X-Request-ID"] = rid
    return response


def _end(exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            REQUEST_ID.reset(token)
        except ValueError:  # a streamed body finished in another context: nothing to restore there
            pass


def init_request_ids(app: Flask) -> None:
    """The first thing every request does: take or make its id; every response echoes it."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_echo)
    app.teardown_request(_end)
