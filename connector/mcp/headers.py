"""The request headers a 2026-07-28 client mirrors from its body, checked against the body (SEP-2243).

`MCP-Protocol-Version`, `Mcp-Method` and, for tools/call, resources/read and prompts/get, `Mcp-Name` are
required; a tool parameter annotated `x-mcp-header: X` is mirrored as `Mcp-Param-X`. Values that are not plain
header-safe ASCII travel as `=?base64?…?=`. Any missing, malformed or disagreeing value is a HeaderMismatch
(-32020, HTTP 400): an intermediary may have routed on the header, so the server must not act on a body that
says something else. Knows no HTTP framework: the transport passes a case-insensitive header mapping.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator, Mapping

from .jsonrpc import HEADER_MISMATCH, JsonRpcError

NAMED_BY = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri",
            "tasks/get": "taskId", "tasks/update": "taskId", "tasks/cancel": "taskId"}
_SENTINEL = re.compile(r"^=\?base64\?(.*)\?=$", re.DOTALL)
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_SAFE = re.compile(r"^[\x20-\x7e\t]*$")
MAX_SAFE_INTEGER = 2 ** 53 - 1


def mismatch(text: str) -> JsonRpcError:
    """A HeaderMismatch error (HTTP 400)."""
    return JsonRpcError(HEADER_MISMATCH, f"Header mismatch: {text}", http_status=400)


def decode(name: str, value: str) -> str:
    """A header value as the client meant it: surrounding whitespace dropped, the Base64 sentinel decoded."""
    value = value.strip(" \t")
    if not _SAFE.match(value):
        raise mismatch(f"{name} holds characters a header value cannot carry")
    found = _SENTINEL.match(value)
    if found is None:
        return value
    encoded = found.group(1)
    if len(encoded) % 4 or not _B64.match(encoded):
        raise mismatch(f"{name} is not valid Base64 inside =?base64?…?=")
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise mismatch(f"{name} is not valid Base64-encoded UTF-8") from None


def check_standard(headers: Mapping[str, str], msg: dict[str, Any], meta_version: str | None) -> None:
    """MCP-Protocol-Version, Mcp-Method and Mcp-Name against the body."""
    version = headers.get("MCP-Protocol-Version")
    if version is None:
        raise mismatch("the MCP-Protocol-Version header is required")
    if meta_version is not None and version.strip() != meta_version:
        raise mismatch(f"MCP-Protocol-Version header {version.strip()!r} does not match _meta "
                       f"io.modelcontextprotocol/protocolVersion {meta_version!r}")
    method = headers.get("Mcp-Method")
    if method is None:
        raise mismatch("the Mcp-Method header is required")
    if method.strip() != msg.get("method"):
        raise mismatch(f"Mcp-Method header {method.strip()!r} does not match body method {msg.get('method')!r}")
    field = NAMED_BY.get(msg["method"])
    params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
    if field is None or not isinstance(params.get(field), str):
        return
    name = headers.get("Mcp-Name")
    if name is None:
        raise mismatch(f"the Mcp-Name header is required for {msg['method']}")
    if decode("Mcp-Name", name) != params[field]:
        raise mismatch(f"Mcp-Name header does not match body params.{field}")


def annotated(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, Any]]:
    """Every `x-mcp-header` annotation reachable through `properties` only: (path, header name, its schema)."""
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        if isinstance(sub.get("x-mcp-header"), str):
            yield path + (key,), sub["x-mcp-header"], sub
        if sub.get("type") == "object":
            yield from annotated(sub, path + (key,))


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _every_annotation(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "x-mcp-header" in node:
            yield node
        for value in node.values():
            yield from _every_annotation(value)
    elif isinstance(node, list):
        for value in node:
            yield from _every_annotation(value)


def validate_annotations(schema: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """The parameters a tool's inputSchema mirrors into headers (property path, header name), or ValueError unless
    every `x-mcp-header` follows SEP-2243: an HTTP token, unique (case-insensitively), on a string, integer or
    boolean parameter reachable through `properties` alone."""
    found = list(annotated(schema))
    reachable = {id(sub): name for _path, name, sub in found}
    seen: set[str] = set()
    for node in _every_annotation(schema):
        name = node["x-mcp-header"]
        if id(node) not in reachable:
            raise ValueError(f"x-mcp-header {name!r} is not reachable from the schema root through properties only")
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValueError(f"x-mcp-header {name!r} is not an HTTP field-name token")
        if name.lower() in seen:
            raise ValueError(f"x-mcp-header {name!r} is not unique (case-insensitively)")
        seen.add(name.lower())
        kinds = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
        if not {k for k in kinds if k != "null"} or not {k for k in kinds if k != "null"} <= {"string", "integer",
                                                                                           "boolean"}:
            raise ValueError(f"x-mcp-header {name!r} must annotate a string, integer or boolean parameter, "
                             f"not a number or other type ({node.get('type')!r})")
    return [(path, name) for path, name, _sub in found]


def _at(arguments: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(arguments, dict):
            return None
        arguments = arguments.get(key)
    return arguments


def _same(header: str, value: Any) -> bool:
    if isinstance(value, bool):
        return header == ("true" if value else "false")
    if isinstance(value, int):
        try:
            return float(header) == value
        except ValueError:
            return False
    return isinstance(value, str) and header == value


def check_params(headers: Mapping[str, str], mirrored: list[tuple[tuple[str, ...], str]], arguments: Any) -> None:
    """Each mirrored tool parameter (`Tool.mirrored`: its property path and header name, from `x-mcp-header`)
    present in the arguments must come with its matching Mcp-Param header."""
    for path, name in mirrored:
        header_name = f"Mcp-Param-{name}"
        value = _at(arguments, path)
        raw = headers.get(header_name)
        if value is None:
            continue  # an absent or null parameter has no header, and a stray one is ignored
        if raw is None:
            raise mismatch(f"the {header_name} header is required when arguments.{'.'.join(path)} is set")
        if not _same(decode(header_name, raw), value):
            raise mismatch(f"{header_name} header does not match arguments.{'.'.join(path)}")
