"""Response and request helpers shared by every route module of the demo Attio."""
from __future__ import annotations

import json
from typing import Any, Mapping

from flask import Response, request

from .errors import body_error, invalid


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A compact JSON response (no key sorting, UTF-8)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def ok(data: Any) -> Response:
    """Attio's success envelope `{"data": …}`."""
    return json_response({"data": data})


def read_json(*, default: Any = None) -> Any:
    """The request body parsed as JSON (`default` when empty); 400 `validation_type` if malformed."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise body_error("the request body is not valid JSON.") from None


def query_int(name: str, default: int, maximum: int | None = None) -> int:
    """A non-negative integer query parameter, clamped to `maximum`; 400 if malformed."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise invalid(f'Query parameter "{name}" must be a non-negative integer.')
    return min(int(raw), maximum) if maximum is not None else int(raw)
