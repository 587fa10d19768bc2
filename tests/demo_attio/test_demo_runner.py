"""start_demo_attio(testing=True): the demo server over a real loopback socket, as the production client sees it."""
from __future__ import annotations

import requests

from attio_demo import DEMO_TOKEN, start_demo_attio


def test_serves_over_a_real_socket() -> None:
    session = requests.Session()
    session.trust_env = False  # loopback: ignore any proxy settings
    with start_demo_attio(testing=True) as demo:
        assert demo.url.startswith("http://127.0.0.1:") and demo.token == DEMO_TOKEN
        auth = {"Authorization": f"Bearer {demo.token}"}
        me = session.get(f"{demo.url}/v2/self", headers=auth, timeout=5)
        assert me.status_code == 200 and me.json()["workspace_slug"] == "demo-sales"
        hits = session.post(f"{demo.url}/v2/objects/records/search", headers=auth, timeout=5, json={
            "query": "energy", "objects": ["companies"], "request_as": {"type": "workspace"}}).json()["data"]
        assert hits[0]["record_text"] == "Brightwave Energy"
        assert session.post(f"{demo.url}/_admin/faults", json={"status": 429, "count": 1}, timeout=5).ok
        limited = session.get(f"{demo.url}/v2/objects", headers=auth, timeout=5)
        assert limited.status_code == 429 and "GMT" in limited.headers["Retry-After"]
        assert session.get(f"{demo.url}/v2/objects", headers=auth, timeout=5).status_code == 200
        log = session.get(f"{demo.url}/_admin/requests", timeout=5).json()["requests"]
        assert [e["status"] for e in log] == [200, 200, 429, 200]
    assert demo.process.poll() is not None  # stopped
