"""What a stateless (2026-07-28) request says about itself in `params._meta`, checked with marshmallow.

Every modern request carries its protocol version and the client's capabilities (required), who the client
is and the log level it wants (optional), and may carry W3C trace context. A request missing a required key
is refused with -32602 and HTTP 400; a version we do not speak with -32022 listing the ones we do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from . import jsonrpc
from .jsonrpc import INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION, JsonRpcError
from .sessions import LOG_LEVELS
from .versions import MODERN_VERSIONS, SUPPORTED_VERSIONS

PREFIX = "io.modelcontextprotocol/"
PROTOCOL_VERSION = PREFIX + "protocolVersion"
CLIENT_CAPABILITIES = PREFIX + "clientCapabilities"
CLIENT_INFO = PREFIX + "clientInfo"
LOG_LEVEL = PREFIX + "logLevel"
SERVER_INFO = PREFIX + "serverInfo"
SUBSCRIPTION_ID = PREFIX + "subscriptionId"
TRACE_KEYS = ("traceparent", "tracestate", "baggage")


class _Implementation(Schema):
    class Meta:
        unknown = "include"

    name = fields.String(required=True, validate=validate.Length(max=256))
    version = fields.String(validate=validate.Length(max=256))


class _MetaSchema(Schema):
    """The `io.modelcontextprotocol/*` members of a modern request's `_meta` (other keys pass through)."""

    class Meta:
        unknown = "exclude"

    version = fields.String(required=True, data_key=PROTOCOL_VERSION, validate=validate.Length(min=1, max=64))
    capabilities = fields.Dict(required=True, data_key=CLIENT_CAPABILITIES)
    client_info = fields.Nested(_Implementation, data_key=CLIENT_INFO)
    log_level = fields.String(data_key=LOG_LEVEL, validate=validate.OneOf(LOG_LEVELS))
    traceparent = fields.String(validate=validate.Length(max=256))
    tracestate = fields.String(validate=validate.Length(max=512))


_SCHEMA = _MetaSchema()


@dataclass(frozen=True)
class RequestMeta:
    """One modern request's declared version, client capabilities and preferences."""

    version: str
    capabilities: dict[str, Any]
    client_info: dict[str, Any] = field(default_factory=dict)
    log_level: str | None = None  # None: the server sends no notifications/message for this request
    raw: dict[str, Any] = field(default_factory=dict)

    def supports(self, capability: str) -> bool:
        """True if the client declared `capability` (e.g. "elicitation") on this request."""
        return isinstance(self.capabilities.get(capability), dict)

    def extension(self, name: str) -> dict[str, Any] | None:
        """The client's settings for extension `name`, or None when it did not declare it."""
        found = (self.capabilities.get("extensions") or {}).get(name)
        return found if isinstance(found, dict) else None


def load(params: Any) -> RequestMeta:
    """The request's metadata, or JsonRpcError (-32602, HTTP 400) naming what is missing or malformed."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict):
        raise JsonRpcError(INVALID_PARAMS, "Invalid params: a 2026-07-28 request needs params._meta with "
                           f"{PROTOCOL_VERSION} and {CLIENT_CAPABILITIES}", http_status=400)
    plain = _plain(meta)
    if plain is not None:
        return plain
    try:
        p = _SCHEMA.load(meta)
    except ValidationError as exc:
        raise JsonRpcError(INVALID_PARAMS, f"Invalid params: _meta: {jsonrpc.describe_validation(exc)}",
                           http_status=400) from None
    return RequestMeta(version=p["version"], capabilities=p["capabilities"], client_info=p.get("client_info") or {},
                       log_level=p.get("log_level"), raw=meta)


def _plain(meta: dict[str, Any]) -> RequestMeta | None:
    """The everyday `_meta` read at a glance (every field of _MetaSchema present or not, of its type and length);
    None sends it through the schema, which also words the errors. tests/unit/test_envelope_fast_path.py checks
    on generated metadata that this accepts nothing the schema refuses and reads what the schema reads."""
    version, capabilities = meta.get(PROTOCOL_VERSION), meta.get(CLIENT_CAPABILITIES)
    if type(version) is not str or not 0 < len(version) <= 64 or type(capabilities) is not dict:
        return None
    info = meta.get(CLIENT_INFO, _ABSENT)
    if info is not _ABSENT and not (type(info) is dict and type(info.get("name")) is str and len(info["name"]) <= 256
                                    and _short_str(info, "version", 256)):
        return None
    level = meta.get(LOG_LEVEL, _ABSENT)
    if level is not _ABSENT and level not in LOG_LEVELS or not (_short_str(meta, "traceparent", 256)
                                                                and _short_str(meta, "tracestate", 512)):
        return None
    return RequestMeta(version=version, capabilities=capabilities,
                       client_info=dict(info) if info is not _ABSENT else {},
                       log_level=None if level is _ABSENT else level, raw=meta)


_ABSENT = object()


def _short_str(mapping: dict[str, Any], key: str, limit: int) -> bool:
    """True when `key` is absent or a string of at most `limit` characters."""
    value = mapping.get(key, _ABSENT)
    return value is _ABSENT or type(value) is str and len(value) <= limit


def unsupported_version(requested: str) -> JsonRpcError:
    """UnsupportedProtocolVersionError for `requested`, naming every version this server speaks."""
    return JsonRpcError(UNSUPPORTED_PROTOCOL_VERSION,
                        f"Unsupported protocol version {requested!r}; supported: {', '.join(SUPPORTED_VERSIONS)}",
                        data={"supported": list(SUPPORTED_VERSIONS), "requested": requested}, http_status=400)


def check_version(meta: RequestMeta) -> None:
    """Raise UnsupportedProtocolVersion unless the request's version is a modern one we speak."""
    if meta.version not in MODERN_VERSIONS:
        raise unsupported_version(meta.version)
