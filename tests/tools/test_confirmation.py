"""Destructive tools change nothing on a first call, from any client (issue 8 item 4).

End to end: the official MCP SDK client against gunicorn + gevent and the demo Attio. Whether a
target still exists is asked of the demo Attio itself, never through the connector's cache.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Awaitable, Callable

import anyio
import httpx2
import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from attio_demo import DEMO_TOKEN
from connector.mcp.context import Caller
from connector.tools.docs import published_registry
from tests.conftest import need

pytestmark = pytest.mark.integration

BRIGHTWAVE = "companies:549937a9-9b09-5351-a4ff-1972c1d8a132"
ATLAS_DEAL = "deals:90f061f2-6efc-57e3-9798-04e0024625eb"
SECRET_KEY = "test-secret-key-" + "x" * 32  # the server_factory's SECRET_KEY


async def _ok(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    res = await client.call_tool(name, args)
    assert not res.is_error, res.content[0].text
    return res.structured_content


# Each destructive tool: how to make a fresh target (through the tools), and where it lives in Attio.
async def _record(c: Client) -> tuple[dict[str, Any], str]:
    made = await _ok(c, "create_record", {"object": "companies", "values": {
        "name": "Doomed Inc", "domains": f"doomed-{uuid.uuid4().hex[:8]}.com"}})
    return {"id": made["id"]}, f"/v2/objects/companies/records/{made['id'].split(':')[1]}"


async def _note(c: Client) -> tuple[dict[str, Any], str]:
    made = (await _ok(c, "create_note", {"record_id": BRIGHTWAVE, "title": "Old call notes",
                                         "content": "Nothing to keep."}))["note"]
    return {"note_id": made["id"]}, f"/v2/notes/{made['id']}"


async def _task(c: Client) -> tuple[dict[str, Any], str]:
    made = (await _ok(c, "create_task", {"content": "Chase the old invoice"}))["task"]
    return {"task_id": made["id"]}, f"/v2/tasks/{made['id']}"


async def _entry(c: Client) -> tuple[dict[str, Any], str]:
    made = (await _ok(c, "add_to_list", {"list": "sales_pipeline", "record_id": ATLAS_DEAL,
                                         "values": {"stage": "Qualified"}}))["entry"]
    return ({"list": "sales_pipeline", "entry_id": made["entry_id"]},
            f"/v2/lists/sales_pipeline/entries/{made['entry_id']}")


async def _comment(c: Client) -> tuple[dict[str, Any], str]:
    made = (await _ok(c, "add_comment", {"record_id": BRIGHTWAVE, "content": "Please ignore this."}))["comment"]
    return {"comment_id": made["id"]}, f"/v2/comments/{made['id']}"


async def _merged(c: Client) -> tuple[dict[str, Any], str]:
    keep, dupe = (await _record(c))[0]["id"], (await _record(c))[0]["id"]
    return {"primary_id": keep, "secondary_id": dupe}, f"/v2/objects/companies/records/{dupe.split(':')[1]}"


TARGETS: dict[str, Callable[[Client], Awaitable[tuple[dict[str, Any], str]]]] = {
    "delete_record": _record, "delete_note": _note, "delete_task": _task, "remove_from_list": _entry,
    "delete_comment": _comment, "merge_records": _merged}


def exists(demo: Any, path: str) -> bool:
    """Whether the demo Attio (the source of truth, not our cache) still has the object at `path`."""
    req = urllib.request.Request(demo.url + path, headers={"Authorization": f"Bearer {DEMO_TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:  # nosec B310  # loopback demo Attio
            return r.status == 200
    except urllib.error.HTTPError as exc:
        assert exc.code == 404, exc
        return False


def done_schema(name: str) -> dict[str, Any]:
    """The tool's own result schema (its outputSchema also allows the not-done result)."""
    return published_registry().tools[name].output_schema["anyOf"][0]


def run(server: Any, body: Callable[[Client], Awaitable[Any]], **client: Any) -> Any:
    async def main() -> Any:
        async with Client(server.mcp_url, mode="legacy", **client) as c:
            return await body(c)
    return anyio.run(main)


@pytest.mark.parametrize("tool", sorted(TARGETS))
def test_first_call_changes_nothing_and_the_token_does_it(server, demo_attio, tool):
    async def body(c: Client) -> None:
        args, path = await TARGETS[tool](c)
        first = await c.call_tool(tool, args)
        assert first.is_error is False, first.content[0].text
        out = first.structured_content
        assert out["status"] == "confirmation_required" and out["arguments"] == args
        assert exists(demo_attio, path), f"{tool} changed Attio on its first call"
        token = out["confirmation_token"]
        assert out["action"] in first.content[0].text and token in first.content[0].text
        assert out["expires_in_seconds"] == 300 and out["expires_at"].endswith("Z")
        assert "nothing has been changed" in first.content[0].text
        assert "attio-connector/screening" not in (first.meta or {})  # our own words never look like an attack
        second = await c.call_tool(tool, {**args, "confirmation_token": token})
        assert second.is_error is False, second.content[0].text
        Draft202012Validator(done_schema(tool)).validate(second.structured_content)
        assert not exists(demo_attio, path)
    run(server, body)


def test_the_action_says_exactly_what_will_happen(server):
    async def body(c: Client) -> list[str]:
        actions = []
        for tool in ("delete_record", "delete_note", "remove_from_list", "delete_comment"):
            args, _ = await TARGETS[tool](c)
            actions.append((await _ok(c, tool, args))["action"])
        return actions
    record, note, entry, comment = run(server, body)
    assert record.startswith('Permanently delete the company "Doomed Inc" (companies:')
    assert record.endswith(") from Attio, with its list entries. This cannot be undone.")
    assert note.startswith('Permanently delete the note "Old call notes" on Brightwave Energy (companies:')
    assert entry.startswith(f'Remove "Atlas Fintech enterprise licence" ({ATLAS_DEAL}) from the list Sales '
                            "pipeline (sales_pipeline), entry ")
    assert entry.endswith("; its entry values are lost (stage: Qualified). The record itself stays.")
    assert comment.endswith(': "Please ignore this.". This cannot be undone.')


@pytest.mark.parametrize("tool", sorted(TARGETS))
def test_elicitation_still_asks_and_a_decline_changes_nothing(server, demo_attio, tool):
    asked: list[Any] = []
    answers = iter([("decline", None), ("cancel", None), ("accept", {"confirm": False}), ("accept", {"confirm": True})])

    async def answer(context, params):
        asked.append(params)
        action, content = next(answers)
        return ElicitResult(action=action, content=content)

    async def body(c: Client) -> None:
        args, path = await TARGETS[tool](c)
        for status in ("declined", "cancelled", "declined"):
            res = await c.call_tool(tool, args)
            assert res.is_error is False and res.structured_content["status"] == status, res.content[0].text
            assert "confirmation_token" not in res.structured_content
            assert exists(demo_attio, path)
        done = await c.call_tool(tool, args)
        assert done.is_error is False, done.content[0].text
        Draft202012Validator(done_schema(tool)).validate(done.structured_content)
        assert not exists(demo_attio, path)
    run(server, body, elicitation_callback=answer)
    assert len(asked) == 4 and asked[0].message.startswith(("Permanently delete", "Remove", "Merge"))
    assert asked[0].message.endswith("\n\nGo ahead?") and asked[0].requested_schema["required"] == ["confirm"]


def _refused(res: Any, why: str) -> None:
    assert res.is_error is True, res.structured_content
    text = res.content[0].text
    assert why in text, text
    assert "again without confirmation_token to get a new one, and ask the user" in text


def test_a_token_for_another_target_or_tool_is_refused(server, demo_attio):
    async def body(c: Client) -> None:
        (note_a, path_a), (note_b, path_b) = await _note(c), await _note(c)
        token_a = (await _ok(c, "delete_note", note_a))["confirmation_token"]
        _refused(await c.call_tool("delete_note", {**note_b, "confirmation_token": token_a}),
                 "This confirmation_token was issued for other arguments (another target).")
        task, task_path = await _task(c)
        _refused(await c.call_tool("delete_task", {**task, "confirmation_token": token_a}),
                 "This confirmation_token was issued for another tool, not delete_task.")
        assert exists(demo_attio, path_a) and exists(demo_attio, path_b) and exists(demo_attio, task_path)
        # the refusals did not spend it: the token still confirms what it was issued for
        await _ok(c, "delete_note", {**note_a, "confirmation_token": token_a})
        assert not exists(demo_attio, path_a) and exists(demo_attio, path_b)
    run(server, body)


def test_a_used_token_is_refused(server, demo_attio):
    async def body(c: Client) -> None:
        args, path = await _entry(c)
        token = (await _ok(c, "remove_from_list", args))["confirmation_token"]
        await _ok(c, "remove_from_list", {**args, "confirmation_token": token})
        _refused(await c.call_tool("remove_from_list", {**args, "confirmation_token": token}),
                 "This confirmation_token has already been used; each token confirms one call.")
    run(server, body)


def test_a_tampered_token_is_refused(server, demo_attio):
    async def body(c: Client) -> None:
        args, path = await _record(c)
        token = (await _ok(c, "delete_record", args))["confirmation_token"]
        payload, signature = token.rsplit(".", 1)
        flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        for bad in (f"{payload}.{flipped}", token[:-1], "confirmed", f"{payload[:-1]}x.{signature}"):
            _refused(await c.call_tool("delete_record", {**args, "confirmation_token": bad}),
                     "This confirmation_token is not valid: it was altered or not issued by this server.")
        _refused(await c.call_tool("delete_record", {**args, "confirmation_token": 12345}),
                 "confirmation_token must be the token string a first call returned.")
        assert exists(demo_attio, path)
    run(server, body)


def test_an_expired_token_is_refused(server, demo_attio):
    from connector.mcp.confirmation import Confirmations

    async def body(c: Client) -> None:
        args, path = await _task(c)
        # A token the server itself would have issued an hour ago (same key, same anonymous caller).
        old, _ = Confirmations([SECRET_KEY], ttl=300).issue(Caller(), "delete_task", args, now=time.time() - 3600)
        _refused(await c.call_tool("delete_task", {**args, "confirmation_token": old}),
                 "This confirmation_token has expired (tokens last 300 seconds).")
        assert exists(demo_attio, path)
    run(server, body)


# -- another caller: two OAuth grants on one server ------------------------------------------------

@pytest.fixture(scope="module")
def oauth_server(server_factory):
    return server_factory(AUTH_DISABLED="false")


def _grant(srv: Any) -> str:
    """A fresh client registration and consent: an access token of its own grant."""
    from tests.integration.oauth_helpers import consent
    from tests.integration.test_oauth_modes import _authorize_url, _pkce, _register, _token

    client_id = _register(srv)
    verifier, challenge = _pkce()
    landed = anyio.run(consent, _authorize_url(srv, client_id, challenge, "attio:read attio:write"))
    return _token(srv, client_id, landed["code"], verifier)["access_token"]


def _as(srv: Any, token: str, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            async with Client(streamable_http_client(srv.mcp_url, http_client=http), mode="legacy") as c:
                return await body(c)
    return anyio.run(main)


def test_a_token_issued_to_another_caller_is_refused(oauth_server, demo_attio):
    alice, bob = _grant(oauth_server), _grant(oauth_server)

    async def first(c: Client) -> tuple[dict[str, Any], str, str]:
        args, path = await _comment(c)
        return args, path, (await _ok(c, "delete_comment", args))["confirmation_token"]
    args, path, token = _as(oauth_server, alice, first)

    async def steal(c: Client) -> Any:
        return await c.call_tool("delete_comment", {**args, "confirmation_token": token})
    _refused(_as(oauth_server, bob, steal),
             "This confirmation_token was issued to another user or client; it confirms nothing for you.")
    assert exists(demo_attio, path)

    async def confirm(c: Client) -> dict[str, Any]:
        return await _ok(c, "delete_comment", {**args, "confirmation_token": token})
    assert _as(oauth_server, alice, confirm)["deleted"] is True
    assert not exists(demo_attio, path)


def test_two_instances_sharing_redis_spend_a_token_once(server_factory, demo_attio):
    """A token issued by one instance works on another, and is then spent for both (Redis, not memory)."""
    from tests.integration.test_redis_cache import redis_up

    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    one, two = (server_factory(REDIS_URL="redis://127.0.0.1:6379/11") for _ in range(2))

    async def first(c: Client) -> tuple[dict[str, Any], str, str]:
        args, path = await _note(c)
        return args, path, (await _ok(c, "delete_note", args))["confirmation_token"]
    args, path, token = run(one, first)

    async def confirm(c: Client) -> Any:
        return await c.call_tool("delete_note", {**args, "confirmation_token": token})
    assert run(two, confirm).is_error is False and not exists(demo_attio, path)
    _refused(run(one, confirm), "This confirmation_token has already been used; each token confirms one call.")
