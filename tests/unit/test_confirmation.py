"""Confirmation tokens and the protocol path of destructive tools, without HTTP (issue 8 item 4).

End to end against the real server: tests/tools/test_confirmation.py.
"""
from __future__ import annotations

import logging
import re
import secrets
import socket
from types import SimpleNamespace
from typing import Any

import pytest

from connector.mcp.confirmation import ConfirmationRefused, Confirmations
from connector.mcp.context import Caller
from connector.mcp.registry import Registry, Tool, ToolResult
from connector.mcp.server import McpServer
from tests.conftest import need

KEY, OLD_KEY = "k" * 40, "o" * 40
ALICE = Caller(subject="user:1", client_id="client-a")
DESTRUCTIVE = {"readOnlyHint": False, "destructiveHint": True}


def test_a_token_confirms_its_own_call_once():
    tokens = Confirmations([KEY], ttl=300)
    token, _ = tokens.issue(ALICE, "delete_note", {"note_id": "n1"})
    tokens.redeem(token, ALICE, "delete_note", {"note_id": "n1"})
    with pytest.raises(ConfirmationRefused, match="has already been used"):
        tokens.redeem(token, ALICE, "delete_note", {"note_id": "n1"})


@pytest.mark.parametrize("caller, tool, args, why", [
    (Caller(subject="user:1", client_id="client-b"), "delete_note", {"note_id": "n1"}, "another user or client"),
    (Caller(subject="user:2", client_id="client-a"), "delete_note", {"note_id": "n1"}, "another user or client"),
    (ALICE, "delete_task", {"note_id": "n1"}, "another tool, not delete_task"),
    (ALICE, "delete_note", {"note_id": "n2"}, "other arguments (another target)"),
    (ALICE, "delete_note", {"note_id": "n1", "extra": None}, "other arguments (another target)"),
])
def test_a_token_is_bound_to_caller_tool_and_every_argument(caller, tool, args, why):
    tokens = Confirmations([KEY], ttl=300)
    token, _ = tokens.issue(ALICE, "delete_note", {"note_id": "n1"})
    with pytest.raises(ConfirmationRefused, match=re.escape(why)):
        tokens.redeem(token, caller, tool, args)
    tokens.redeem(token, ALICE, "delete_note", {"note_id": "n1"})  # a refusal does not spend it


def test_argument_order_does_not_matter():
    tokens = Confirmations([KEY], ttl=300)
    token, _ = tokens.issue(ALICE, "remove_from_list", {"list": "l", "entry_id": "e"})
    tokens.redeem(token, ALICE, "remove_from_list", {"entry_id": "e", "list": "l"})


def test_expired_and_foreign_tokens_are_refused():
    tokens = Confirmations([KEY], ttl=60)
    old, expires = tokens.issue(ALICE, "delete_note", {"note_id": "n1"}, now=1_000_000)
    assert expires == 1_000_060
    with pytest.raises(ConfirmationRefused, match="has expired"):
        tokens.redeem(old, ALICE, "delete_note", {"note_id": "n1"})
    foreign, _ = Confirmations(["z" * 40], ttl=60).issue(ALICE, "delete_note", {"note_id": "n1"})
    for bad in (foreign, "", "a.b", "x" * 2000):
        with pytest.raises(ConfirmationRefused):
            tokens.redeem(bad, ALICE, "delete_note", {"note_id": "n1"})


def test_tokens_survive_a_secret_key_rotation():
    before, _ = Confirmations([OLD_KEY], ttl=300).issue(ALICE, "delete_note", {"note_id": "n1"})
    Confirmations([KEY, OLD_KEY], ttl=300).redeem(before, ALICE, "delete_note", {"note_id": "n1"})
    with pytest.raises(ConfirmationRefused, match="not valid"):
        Confirmations([KEY], ttl=300).redeem(before, ALICE, "delete_note", {"note_id": "n1"})


def test_used_tokens_are_shared_by_every_worker_through_redis():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        up = True
    except OSError:
        up = False
    need(up, "Redis is not running on 127.0.0.1:6379")
    from cachelib import RedisCache

    prefix = f"test-confirmation-{secrets.token_hex(4)}:"
    one = Confirmations([KEY], ttl=300, used=RedisCache(host="127.0.0.1", key_prefix=prefix))
    two = Confirmations([KEY], ttl=300, used=RedisCache(host="127.0.0.1", key_prefix=prefix))
    token, _ = one.issue(ALICE, "delete_note", {"note_id": "n1"})
    one.redeem(token, ALICE, "delete_note", {"note_id": "n1"})
    with pytest.raises(ConfirmationRefused, match="already been used"):
        two.redeem(token, ALICE, "delete_note", {"note_id": "n1"})


# -- the protocol path ---------------------------------------------------------------------

def _server(handler: Any) -> tuple[McpServer, list[str]]:
    registry = Registry()
    registry.add_tool(Tool(name="wipe", description="Wipes one thing.", handler=handler, annotations=DESTRUCTIVE,
                           args={"type": "object", "properties": {"thing": {"type": "string"}}},
                           output_schema={"type": "object", "properties": {"wiped": {"type": "string"}}}))
    server = McpServer(registry, SimpleNamespace(describe=lambda: None), name="t", version="1", title="t")
    return server, []


def _call(server: McpServer, args: dict[str, Any]) -> dict[str, Any]:
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "wipe", "arguments": args}}
    return server.handle(msg, None, ALICE, lambda m: False)["result"]


def test_a_destructive_tool_gets_the_token_argument_and_a_live_stream():
    tool = Tool(name="wipe", description="d", handler=lambda c, a: {}, annotations=DESTRUCTIVE,
                output_schema={"type": "object"})
    assert tool.streaming is True
    assert tool.input_schema["properties"]["confirmation_token"]["type"] == "string"
    assert tool.output_schema["anyOf"][0] == {"type": "object"}


def test_a_bad_token_is_refused_before_the_tool_runs():
    wiped: list[str] = []

    def wipe(ctx: Any, args: dict[str, Any]) -> ToolResult:
        ctx.confirm(f"Wipe {args['thing']}.")
        wiped.append(args["thing"])
        return ToolResult.text("wiped")
    server, _ = _server(wipe)
    first = _call(server, {"thing": "a"})
    assert first["isError"] is False and wiped == []
    assert first["structuredContent"]["status"] == "confirmation_required"
    token = first["structuredContent"]["confirmation_token"]
    refused = _call(server, {"thing": "b", "confirmation_token": token})
    assert refused["isError"] is True and wiped == []
    assert _call(server, {"thing": "a", "confirmation_token": token})["isError"] is False and wiped == ["a"]


def test_a_destructive_tool_that_never_asks_is_logged_as_a_bug(caplog):
    server, _ = _server(lambda ctx, args: ToolResult.text("wiped without asking"))
    with caplog.at_level(logging.ERROR, logger="connector.mcp.features"):
        _call(server, {"thing": "a"})
    assert "destructive tool wipe returned without ctx.confirm()" in caplog.text
