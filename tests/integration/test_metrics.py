"""/metrics under gunicorn: totals summed exactly across workers, a killed worker's live gauges gone, the token
required; the alert rules pass promtool; every metric the rules and the dashboard name is one we export."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, need
from tests.integration.test_http_edges import headers, open_session
from tests.spare_services import SpareRedis

pytestmark = pytest.mark.integration
TOKEN = "metrics-token-for-tests-0123456789"
DEPLOY = ROOT / "deploy"
PROMTOOL = "/usr/bin/promtool"


def scrape(srv, token=TOKEN) -> dict[tuple[str, tuple], float]:
    r = requests.get(f"{srv.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
    out: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def total(samples, name: str, **labels: str) -> float:
    return sum(v for (n, lab), v in samples.items() if n == name and set(labels.items()) <= set(lab))


def fresh_call(url: str, sid: str, i: int) -> requests.Response:
    """A new connection per call, so the kernel spreads them over the workers."""
    return requests.post(url, data=json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
        "name": "search", "arguments": {"query": "energy"}}}), timeout=15, headers={
        "Accept": "application/json, text/event-stream", "Content-Type": "application/json", "Connection": "close",
        **headers(sid)})


def worker_pids(srv) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def test_totals_add_up_across_workers_and_a_killed_workers_gauges_vanish(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed (Debian package redis-server)")
    redis_srv = SpareRedis(tmp_path)
    redis_srv.start()
    metrics_dir = tmp_path / "metrics"
    srv = server_factory(CONNECTOR_WORKERS="2", REDIS_URL=redis_srv.url, METRICS_TOKEN=TOKEN,
                         PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), SSE_KEEPALIVE_SECONDS="1")
    try:
        assert requests.get(f"{srv.url}/metrics", timeout=5).status_code == 401
        assert requests.get(f"{srv.url}/metrics", headers={"Authorization": "Bearer wrong"},
                            timeout=5).status_code == 401
        before = total(scrape(srv), "attio_connector_http_requests_total", route="/healthz", status="200")
        for _ in range(25):
            requests.get(f"{srv.url}/healthz", headers={"Connection": "close"}, timeout=5)
        sid = open_session(srv.mcp_url)
        for i in range(30):
            assert fresh_call(srv.mcp_url, sid, i).status_code == 200
        pids = worker_pids(srv)
        assert len(pids) == 2
        seen = {int(m.group(1)) for p in metrics_dir.iterdir() if (m := re.search(r"_(\d+)\.db$", p.name))}
        assert set(pids) <= seen, (pids, seen)  # both workers wrote their own files

        s = scrape(srv)
        assert total(s, "attio_connector_http_requests_total", route="/healthz", status="200") == before + 25
        assert total(s, "attio_connector_tool_call_duration_seconds_count", tool="search", outcome="ok") == 30
        assert total(s, "attio_connector_attio_requests_total", endpoint="/v2/objects/records/search") >= 1
        assert total(s, "attio_connector_sessions_created_total", transport="streamable") == 1

        # An open legacy stream counts; SIGKILL every worker: the master replaces them, the stream's gauge goes.
        stream = requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=15)
        assert next(stream.iter_lines(decode_unicode=True)) == "event: endpoint"
        assert total(scrape(srv), "attio_connector_open_streams", transport="sse") == 1
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(worker_pids(srv)) < 2 or set(worker_pids(srv)) & set(pids)):
            time.sleep(0.2)
        stream.close()
        after = scrape(srv)
        assert total(after, "attio_connector_open_streams") == 0
        assert total(after, "attio_connector_stream_capacity") == 2 * total(s, "attio_connector_stream_capacity") / 2
        # Counters of the dead workers still count: totals never go backwards.
        assert total(after, "attio_connector_http_requests_total", route="/healthz", status="200") == before + 25
        live_files = [p.name for p in metrics_dir.iterdir() if "livesum" in p.name]
        assert not [f for f in live_files if any(f.endswith(f"_{pid}.db") for pid in pids)], live_files
    finally:
        srv.stop()
        redis_srv.stop()
    assert not metrics_dir.exists() or metrics_dir.is_dir()


def test_no_secret_in_the_exposition(server_factory):
    srv = server_factory(METRICS_TOKEN=TOKEN, AUTH_DISABLED="false")
    bearer = "atk_definitely-not-a-valid-token-0000000000"
    r = requests.post(srv.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                      headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json, text/event-stream"},
                      timeout=5)
    assert r.status_code == 401
    requests.post(f"{srv.url}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "rtk_secret-xyz",
                                                  "client_id": "nobody"}, timeout=5)
    text = requests.get(f"{srv.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    assert bearer not in text and "rtk_secret-xyz" not in text and TOKEN not in text
    s = scrape(srv)
    assert total(s, "attio_connector_token_endpoint_errors_total") >= 1


def names_in(text: str) -> set[str]:
    found = set(re.findall(r"\battio_connector_[a-z_]+", text))
    return {re.sub(r"_(bucket|count|sum)$", "", n) for n in found}


def test_rules_and_dashboard_name_only_metrics_we_export():
    from prometheus_client import REGISTRY, generate_latest

    import connector.metrics  # noqa: F401  (registers every metric)

    exported = set()
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        exported.add(family.name)
        exported.add(family.name + "_total")
    used = names_in((DEPLOY / "prometheus" / "alerts.yml").read_text())
    used |= names_in((DEPLOY / "grafana" / "dashboard.json").read_text())
    assert used and not used - exported, used - exported
    dashboard = json.loads((DEPLOY / "grafana" / "dashboard.json").read_text())
    assert dashboard["panels"] and all(p["targets"] for p in dashboard["panels"])


@pytest.mark.parametrize("command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]])
def test_alert_rules_pass_promtool(command):
    need(Path(PROMTOOL).exists(), "promtool is missing (Debian package prometheus; .ci/install-tools installs it)")
    done = subprocess.run([PROMTOOL, *command], cwd=DEPLOY / "prometheus", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_endpoint_templates_keep_labels_low_cardinality():
    from connector.metrics import endpoint_template

    uid = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
    assert endpoint_template(f"/v2/objects/people/records/{uid}") == "/v2/objects/{object}/records/{record_id}"
    assert endpoint_template("/v2/objects/companies/records/query") == "/v2/objects/{object}/records/query"
    assert endpoint_template(f"/v2/lists/sales/entries/{uid}?x=1") == "/v2/lists/{list}/entries/{entry_id}"
    assert endpoint_template("/v2/self") == "/v2/self"
    assert endpoint_template(f"/v2/notes/{uid}") == "/v2/notes/{note_id}"
    assert endpoint_template("/v2/objects/deals/attributes/stage/statuses") == \
        "/v2/objects/{object}/attributes/{attribute}/statuses"


def test_metrics_are_off_without_a_token(tmp_path):
    from tests.apps import migrated_app

    app = migrated_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "s" * 40}, environ={})
    r = app.test_client().get("/metrics")
    assert r.status_code == 404 and "METRICS_TOKEN" in r.get_json()["error_description"]


