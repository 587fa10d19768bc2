"""Done-when: the demo's planted injections come back screened under each policy, audited; clean data does not.

Three servers (gunicorn + gevent) run on the "Inbound Leads" demo workspace, one per SCREENING_POLICY,
each with its own database so the audit table can be read here.
"""
from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from attio_demo.testing.seed_planted import NOTE_TITLE, PLANTED, PLANTED_TOKEN, planted
from connector.security.verdict import marker_rules
from tests.security.conftest import ACCEPT, LARKSPUR, PELLUCID, WENDELL, sse_result

pytestmark = pytest.mark.integration
POLICIES = ("annotate", "redact", "block")
ACTION = {"annotate": "annotated", "redact": "redacted", "block": "withheld"}
META = "attio-connector/screening"
IMAGE = "[image removed: cdn.larkspur-track.example]"
# (tool, arguments, path of the planted value, record id, its PLANTED key, a rule it must trip)
CASES = [("get_record", {"id": PELLUCID}, ("values", "description", 0), PELLUCID, "company_description",
          "ignore_instructions"),
         ("get_record", {"id": WENDELL}, ("values", "job_title", 0), WENDELL, "person_job_title", "tool_call_direct"),
         ("list_notes", {"record_id": LARKSPUR}, ("notes", 0, "content"), LARKSPUR, "note_content", "hidden_tags")]
ATTACK_WORDS = ("ignore all previous", "delete_record tool", "larkspur-track", "pellucid-sync")


@pytest.fixture(scope="module")
def servers(server_factory, tmp_path_factory):
    base = tmp_path_factory.mktemp("screening")
    return {p: (server_factory(SCREENING_POLICY=p, DEMO_ATTIO_TOKEN=PLANTED_TOKEN,
                               DATABASE_URL=f"sqlite:///{base / f'{p}.sqlite'}"), base / f"{p}.sqlite")
            for p in POLICIES}


def call(srv, name: str, arguments: dict, *, progress: bool = False) -> dict:
    """One tools/call in a fresh session; with `progress` it runs in its own greenlet and streams."""
    headers = {"Accept": ACCEPT, "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}
    init = requests.post(srv.mcp_url, headers=headers, timeout=10, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    headers["Mcp-Session-Id"] = init.headers["Mcp-Session-Id"]
    params: dict = {"name": name, "arguments": arguments}
    if progress:
        params["_meta"] = {"progressToken": "p"}
    r = requests.post(srv.mcp_url, headers=headers, timeout=20,
                      json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": params})
    reply = sse_result(r.text) if r.headers["Content-Type"].startswith("text/event-stream") else r.json()
    return reply["result"]


def at(data, path):
    for step in path:
        data = data[step]
    return data


def audit_events(db) -> list[dict]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT detail FROM audit_events WHERE type = 'screening.flagged' ORDER BY id").fetchall()
    return [json.loads(r[0]) for r in rows]


@pytest.mark.parametrize("policy", POLICIES)
def test_planted_injections_are_screened_and_audited(servers, reset_demo, policy):
    srv, db = servers[policy]
    before = len(audit_events(db))
    for tool, args, path, record_id, key, rule in CASES:
        result = call(srv, tool, args, progress=tool == "list_notes")  # the note call runs in a greenlet
        assert result["isError"] is False
        meta = result["_meta"][META]
        assert meta["policy"] == policy and meta["threshold"] == 1.0
        dotted = "structuredContent." + ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)
        finding = next(f for f in meta["findings"] if f["path"] == dotted.replace(".[", "["))
        assert finding["action"] == ACTION[policy] and finding["record_id"] == record_id
        assert rule in finding["rules"] and finding["score"] >= 1.0
        value, text = at(result["structuredContent"], path), result["content"][0]["text"]
        clean, attack = PLANTED[key]
        assert not any(0xE0000 <= ord(c) <= 0xE007F for c in value + text)  # hidden tags never leave
        if policy == "annotate":
            visible = clean + ("\n\n" + IMAGE if key == "note_content" else attack)
            sep = "\n" if "\n" in visible else " "
            assert value == (f"[UNTRUSTED CRM CONTENT — flagged: {marker_rules(finding['rules'])}]{sep}{visible}"
                             f"{sep}[END UNTRUSTED]")
            assert "[UNTRUSTED CRM CONTENT — flagged: " in text and "[END UNTRUSTED]" in text
        elif policy == "redact":
            assert value.startswith(clean.split("\n")[0].split(" | ")[0]) and "[REDACTED: possible prompt injection (" \
                in value
            assert "[REDACTED: possible prompt injection (" in text
        else:
            assert value.startswith("[WITHHELD: this CRM text looked like instructions aimed at the assistant (")
            assert clean.split("\n")[0] not in value and "[WITHHELD: " in text
        if policy != "annotate":
            for words in ATTACK_WORDS:
                assert words not in value.lower() and words not in text.lower(), (policy, key, words)
    events = audit_events(db)[before:]
    assert [(e["tool"], e["record_id"], e["action"]) for e in events] == [
        ("get_record", PELLUCID, ACTION[policy]), ("get_record", WENDELL, ACTION[policy]),
        ("list_notes", LARKSPUR, ACTION[policy])]
    assert [e["rule"] for e in events] == [e["rules"][0] for e in events]
    assert "ignore_instructions" in events[0]["rules"] and "hidden_tags" in events[2]["rules"]
    dumped = json.dumps(events).lower()
    assert not any(w in dumped for w in ATTACK_WORDS + ("recycled paper", "procurement lead", "web form"))


@pytest.mark.parametrize("policy", POLICIES)
def test_the_same_data_without_the_attack_passes_untouched(servers, reset_demo, policy):
    srv, db = servers[policy]
    before = len(audit_events(db))
    clean_desc, clean_title, clean_note = (PLANTED[k][0] for k in PLANTED)
    updated = call(srv, "update_record", {"id": PELLUCID, "values": {"description": clean_desc}})
    assert updated["isError"] is False and META not in (updated.get("_meta") or {})
    company = call(srv, "get_record", {"id": PELLUCID})
    assert META not in company["_meta"]
    assert company["structuredContent"]["values"]["description"] == [clean_desc]
    assert f"\nDescription: {clean_desc}\n" in company["content"][0]["text"]
    call(srv, "update_record", {"id": WENDELL, "values": {"job_title": clean_title}})
    person = call(srv, "get_record", {"id": WENDELL})
    assert META not in person["_meta"] and person["structuredContent"]["values"]["job_title"] == [clean_title]
    created = call(srv, "create_note", {"record_id": LARKSPUR, "title": "Enquiry (clean)", "content": clean_note})
    assert created["isError"] is False and META not in created["_meta"]
    notes = call(srv, "list_notes", {"record_id": LARKSPUR}, progress=True)
    by_title = {n["title"]: (i, n) for i, n in enumerate(notes["structuredContent"]["notes"])}
    index, mine = by_title["Enquiry (clean)"]
    assert mine["content"] == clean_note
    paths = [f["path"] for f in notes["_meta"][META]["findings"]]
    assert f"structuredContent.notes[{by_title[NOTE_TITLE][0]}].content" in paths  # the planted note still is
    assert not any(p.startswith(f"structuredContent.notes[{index}]") for p in paths)
    assert "\n    ".join(clean_note.split("\n")) in notes["content"][0]["text"]
    assert planted("company_description") not in json.dumps(company)
    assert len(audit_events(db)) == before + 1  # only the planted note, read again
