"""Writes that say what happened: every write is read back and what Attio did not store as sent is reported;
a stage or select value that matches nothing is an error naming the valid values, never a silent default."""
from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from attio_demo import DEMO_TOKEN
from connector.tools.readback import value_differences
from tests.tools.test_records import call, ok

pytestmark = pytest.mark.integration

MAYA = "maya.chen@demo-sales.example"
STAGES = "Qualified, Proposal sent, Negotiation, Closed won 🎉, Closed lost"
ENTRY_PATH = re.compile(r"^/v2/lists/[^/]+/entries/[0-9a-f-]{36}$")


# -- the comparison itself ---------------------------------------------------------------------

ATTRS = {"stage": {"type": "status"}, "emails": {"type": "email-address", "is_multiselect": True},
         "phone": {"type": "phone-number"}, "when": {"type": "timestamp"}, "tags": {"type": "select",
                                                                                   "is_multiselect": True},
         "amount": {"type": "currency"}, "note": {"type": "text"}, "owner": {"type": "actor-reference"}}


MEMBER = {"referenced_actor_type": "workspace-member", "referenced_actor_id": "m1"}


def stored(kind: str, **fields: Any) -> dict[str, Any]:
    return {"attribute_type": kind, **fields}


def test_values_stored_as_sent_make_no_difference():
    sent = {"stage": "Negotiation", "emails": [{"email_address": "Ada@Example.org"}],
            "phone": {"original_phone_number": "+44 20 7946 0958"}, "when": "2026-12-01T17:00:00.000000000Z",
            "amount": {"currency_value": 1200}, "note": "Call  back", "owner": MEMBER}
    there = {"stage": [stored("status", status={"title": "negotiation"})],
             "emails": [stored("email-address", email_address="ada@example.org")],
             "phone": [stored("phone-number", phone_number="+442079460958", original_phone_number="+442079460958")],
             "when": [stored("timestamp", value="2026-12-01T17:00:00.000Z")],
             "amount": [stored("currency", currency_value=1200.0, currency_code="EUR")],
             "note": [stored("text", value="Call back")],
             "owner": [stored("actor-reference", referenced_actor_type="workspace-member", referenced_actor_id="m1")]}
    assert value_differences(ATTRS, sent, there) == []


def test_changed_dropped_kept_and_added_values_are_named():
    sent = {"stage": "Negotiation", "emails": [{"email_address": "a@x.org"}, {"email_address": "b@x.org"}],
            "tags": ["SaaS"], "note": [], "owner": MEMBER}
    there = {"stage": [stored("status", status={"title": "Qualified"})],
             "emails": [stored("email-address", email_address="a@x.org")],
             "tags": [stored("select", option={"title": "SaaS"}), stored("select", option={"title": "B2B"})],
             "note": [stored("text", value="still here")]}
    assert value_differences(ATTRS, sent, there, overwrite=True, name={"m1": "Maya Chen"}.get) == [
        {"attribute": "stage", "sent": "Negotiation", "stored": "Qualified", "what": "changed"},
        {"attribute": "emails", "sent": "b@x.org", "stored": None, "what": "dropped"},
        {"attribute": "tags", "sent": None, "stored": "B2B", "what": "added"},
        {"attribute": "note", "sent": None, "stored": "still here", "what": "kept"},
        {"attribute": "owner", "sent": "Maya Chen", "stored": None, "what": "dropped"}]
    # appending leaves the other values alone: they are not differences
    assert value_differences(ATTRS, {"tags": ["SaaS"]}, there) == []


# -- against the demo workspace ------------------------------------------------------------------

def test_ordinary_writes_report_no_difference(server, reset_demo):
    person = ok(server, "create_record", {"object": "people", "values": {
        "name": "Ada Lovelace", "email_addresses": "Ada@Example.org", "phone_numbers": "+44 20 7946 0958",
        "company": "Brightwave Energy"}})
    assert person["differences"] == []
    updated = ok(server, "update_record", {"id": person["id"], "values": {"job_title": "Analyst"}})
    assert updated["differences"] == [] and updated["values"]["job_title"] == ["Analyst"]
    entries = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 100})["entries"]
    kestrel = next(e for e in entries if e["record_title"] == "Kestrel Security renewal")
    moved = ok(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                             "values": {"stage": "closed WON 🎉"}})
    assert moved["differences"] == [] and moved["entry"]["values"]["stage"] == "Closed won 🎉"
    task = ok(server, "create_task", {"content": "Send the deck", "deadline": "2026-12-01", "assignees": [MAYA],
                                      "record_ids": [person["id"]]})
    assert task["differences"] == []
    done = ok(server, "update_task", {"task_id": task["task"]["id"], "is_completed": True})
    assert done["differences"] == [] and done["task"]["is_completed"] is True
    note = ok(server, "create_note", {"record_id": person["id"], "title": "Intro", "content": "## Next\n- Call"})
    assert note["differences"] == []
    comment = ok(server, "add_comment", {"record_id": person["id"], "content": "Met at the fair."})
    assert comment["differences"] == []


def test_a_stage_or_option_that_matches_nothing_is_an_error_naming_the_valid_values(server, reset_demo):
    entries = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 100})["entries"]
    kestrel = next(e for e in entries if e["record_title"] == "Kestrel Security renewal")
    for stage in ("Won", "00000000-0000-4000-8000-000000000000"):
        res = call(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                                 "values": {"stage": stage}})
        assert res.is_error
        assert res.content[0].text == (f'Invalid value for "stage" (status): "{stage}" is not a valid status. '
                                       f"Valid statuses: {STAGES}.")
    res = call(server, "create_record", {"object": "deals", "values": {
        "name": "Nope", "stage": "Signed", "owner": MAYA}})
    assert res.is_error and res.content[0].text == (
        'Invalid value for "stage" (status): "Signed" is not a valid status. Valid statuses: Lead, In Progress, '
        "Won 🎉, Lost.")
    # the entry kept its stage: nothing was written
    after = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 100})["entries"]
    assert next(e for e in after if e["entry_id"] == kestrel["entry_id"])["values"]["stage"] == "Negotiation"


def test_a_status_id_is_accepted_and_shown_by_title(server, demo_attio, reset_demo):
    req = urllib.request.Request(f"{demo_attio.url}/v2/lists/sales_pipeline/attributes/stage/statuses",
                                 headers={"Authorization": f"Bearer {DEMO_TOKEN}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        statuses = json.loads(r.read())["data"]
    proposal = next(s for s in statuses if s["title"] == "Proposal sent")["id"]["status_id"]
    entries = ok(server, "list_entries", {"list": "sales_pipeline", "limit": 100})["entries"]
    kestrel = next(e for e in entries if e["record_title"] == "Kestrel Security renewal")
    moved = ok(server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                             "values": {"stage": proposal.upper()}})
    assert moved["entry"]["values"]["stage"] == "Proposal sent" and moved["differences"] == []


# -- an Attio that falls back to a default stage while answering success --------------------------

class _Defaulting(BaseHTTPRequestHandler):
    """Forwards to the demo Attio; a read of a list entry shows its stage as 'Qualified', whatever was written
    (the silent default users of other Attio connectors ran into)."""

    upstream = ""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        req = urllib.request.Request(self.upstream + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        if self.command == "GET" and status == 200 and ENTRY_PATH.match(self.path.split("?")[0]):
            doc = json.loads(payload)
            for value in doc["data"]["entry_values"].get("stage") or []:
                value["status"] = {**value["status"], "title": "Qualified"}
            payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def defaulting_server(server_factory, demo_attio) -> Iterator[Any]:
    handler = type("Handler", (_Defaulting,), {"upstream": demo_attio.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield server_factory(ATTIO_API_URL=f"http://127.0.0.1:{proxy.server_address[1]}",
                         RATE_LIMIT_INITIALIZE="100000/minute")
    proxy.shutdown()


def test_a_silent_default_comes_back_as_a_difference(defaulting_server, reset_demo):
    entries = ok(defaulting_server, "list_entries", {"list": "sales_pipeline", "limit": 100})["entries"]
    kestrel = next(e for e in entries if e["record_title"] == "Kestrel Security renewal")
    res = call(defaulting_server, "update_list_entry", {"list": "sales_pipeline", "entry_id": kestrel["entry_id"],
                                                        "values": {"stage": "Closed lost"}})
    assert not res.is_error
    assert res.structured_content["differences"] == [
        {"attribute": "stage", "sent": "Closed lost", "stored": "Qualified", "what": "changed"}]
    assert res.structured_content["entry"]["values"]["stage"] == "Qualified"  # what Attio holds, not what was sent
    assert res.content[0].text.endswith("Attio did not store 1 value(s) as sent (read back after the write):\n"
                                        "- Stage: sent 'Closed lost', Attio stored 'Qualified'")
