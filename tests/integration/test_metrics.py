"""/metrics under gunicorn: totals summed exactly across workers, a killed worker's live gauges gone, the token
required; the alert rules pass promtool; every metric the rules and the dashboard name is one we export."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry, multiprocess
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


def per_worker(metrics_dir: Path, pid: int, tmp_path: Path) -> dict[tuple[str, tuple], float]:
    """One worker's own values: its files alone, summed by prometheus-client's collector."""
    alone = Path(tempfile.mkdtemp(dir=tmp_path))
    for f in metrics_dir.glob(f"*_{pid}.db"):
        shutil.copy(f, alone / f.name)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(alone))
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for m in registry.collect() for s in m.samples}


def open_sse(srv) -> requests.Response:
    """A legacy SSE stream on its own connection (the kernel picks the worker)."""
    return requests.get(f"{srv.url}/sse", headers={"Accept": "text/event-stream"}, stream=True, timeout=15)


def test_totals_add_up_across_workers_and_a_killed_workers_gauges_vanish(server_factory, tmp_path):
    need(SpareRedis.available(), "redis-server is not installed (Debian package redis-server)")
    redis_srv = SpareRedis(tmp_path)
    redis_srv.start()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    stale = metrics_dir / "counter_4242424.db"  # a previous run's values must not add up with this one's
    stale.write_bytes(b"not a metrics file")
    srv = server_factory(CONNECTOR_WORKERS="2", REDIS_URL=redis_srv.url, METRICS_TOKEN=TOKEN,
                         PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), SSE_KEEPALIVE_SECONDS="1", MAX_STREAMS="2")
    streams: list[requests.Response] = []
    try:
        assert not stale.exists()
        assert requests.get(f"{srv.url}/metrics", timeout=5).status_code == 401
        assert requests.get(f"{srv.url}/metrics", headers={"Authorization": "Bearer wrong"},
                            timeout=5).status_code == 401
        before = total(scrape(srv), "attio_connector_http_requests_total", route="/healthz", status="200")
        for _ in range(25):
            requests.get(f"{srv.url}/healthz", headers={"Connection": "close"}, timeout=5)
        for _ in range(7):  # an OAuth failure, each on a new connection
            r = requests.post(f"{srv.url}/oauth/token", data={"grant_type": "urn:example:nothing"},
                              headers={"Connection": "close"}, timeout=5)
            assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
        sid = open_session(srv.mcp_url)
        for i in range(30):
            assert fresh_call(srv.mcp_url, sid, i).status_code == 200
        pids = worker_pids(srv)
        assert len(pids) == 2
        # Both workers served some of it (else "adds up across workers" would prove nothing).
        served = {pid: total(per_worker(metrics_dir, pid, tmp_path), "attio_connector_http_requests_total")
                  for pid in pids}
        assert all(served.values()), served

        s = scrape(srv)
        assert total(s, "attio_connector_http_requests_total", route="/healthz", status="200") == before + 25
        assert total(s, "attio_connector_token_endpoint_errors_total", error="unsupported_grant_type") == 7
        assert total(s, "attio_connector_http_requests_total", route="/oauth/token", status="400") == 7
        assert total(s, "attio_connector_tool_call_duration_seconds_count", tool="search", outcome="ok") == 30
        assert total(s, "attio_connector_attio_requests_total", endpoint="/v2/objects/records/search") >= 1
        assert total(s, "attio_connector_sessions_created_total", transport="streamable") == 1
        assert total(s, "attio_connector_stream_capacity") == 4  # MAX_STREAMS=2 in each of 2 workers

        # Six legacy streams against a cap of 2 per worker: the refusals and the open gauge add up exactly.
        for _ in range(6):
            r = open_sse(srv)
            if r.status_code == 200:
                assert next(r.iter_lines(decode_unicode=True)) == "event: endpoint"
                streams.append(r)
            else:
                assert r.status_code == 503, r.text
                r.close()
        s = scrape(srv)
        assert total(s, "attio_connector_open_streams", transport="sse") == len(streams)
        assert total(s, "attio_connector_streams_refused_total", cap="total") == 6 - len(streams)
        assert 2 <= len(streams) <= 4

        # SIGKILL the worker holding the most streams: the master starts another, the dead one's live gauges
        # (its streams) leave the sums and its live files are removed; its counters keep their totals.
        held = {pid: total(per_worker(metrics_dir, pid, tmp_path), "attio_connector_open_streams") for pid in pids}
        victim = max(held, key=held.get)
        assert held[victim] >= 1 and sum(held.values()) == len(streams), held
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(worker_pids(srv)) < 2 or victim in worker_pids(srv)):
            time.sleep(0.2)
        assert len(worker_pids(srv)) == 2 and victim not in worker_pids(srv)
        after = scrape(srv)
        assert total(after, "attio_connector_open_streams") == len(streams) - held[victim]
        while time.monotonic() < deadline and total(after, "attio_connector_stream_capacity") != 4:
            time.sleep(0.2)  # the replacement worker is still loading the app
            after = scrape(srv)
        assert total(after, "attio_connector_stream_capacity") == 4  # the dead worker's cap went with it
        assert total(after, "attio_connector_http_requests_total", route="/healthz", status="200") == before + 25
        assert total(after, "attio_connector_tool_call_duration_seconds_count", tool="search", outcome="ok") == 30
        assert not list(metrics_dir.glob(f"gauge_live*_{victim}.db"))
        assert list(metrics_dir.glob(f"counter_{victim}.db"))
    finally:
        for r in streams:
            r.close()
        srv.stop()
        redis_srv.stop()
    assert metrics_dir.is_dir()  # the operator's own directory is kept


def test_private_metrics_dir_is_made_and_removed(server_factory):
    env = {k: v for k, v in os.environ.items() if k == "PROMETHEUS_MULTIPROC_DIR"}
    need(not env, "PROMETHEUS_MULTIPROC_DIR is set in the test environment")
    srv = server_factory(METRICS_TOKEN=TOKEN)
    requests.get(f"{srv.url}/healthz", timeout=5)
    assert total(scrape(srv), "attio_connector_http_requests_total", route="/healthz") >= 1
    # The worker maps its metric files: their directory is the one the master made for this run.
    maps = Path(f"/proc/{worker_pids(srv)[0]}/maps").read_text()
    dirs = {Path(m).parent for m in re.findall(r"(/\S+/attio-connector-metrics-[^/\s]+/\S+\.db)", maps)}
    assert len(dirs) == 1, maps
    private = dirs.pop()
    assert list(private.glob("*.db"))
    assert private.stat().st_mode & 0o777 == 0o700
    srv.stop()
    assert not private.exists()


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


def test_rules_and_dashboard_name_only_metrics_we_export(tmp_path):
    """The exposition of the app's /metrics (in-process: the plain registry lists every family, even those
    without a sample yet; a gunicorn scrape lists only families some worker has written)."""
    from tests.apps import migrated_app

    app = migrated_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "s" * 40,
                        "METRICS_TOKEN": TOKEN}, environ={})
    r = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    parsed = {f.name: f.type for f in text_string_to_metric_families(r.get_data(as_text=True))
              if f.name.startswith("attio_connector_")}
    # prometheus-client's creation timestamps (`X_created` gauges beside a counter X) are not metrics of ours.
    families = {n for n, kind in parsed.items() if not (kind == "gauge" and n.endswith("_created")
                                                         and n.removesuffix("_created") in parsed)}
    exported = families | {name + "_total" for name in families}
    in_rules = names_in((DEPLOY / "prometheus" / "alerts.yml").read_text())
    in_dashboard = names_in((DEPLOY / "grafana" / "dashboard.json").read_text())
    assert in_rules and not in_rules - exported, in_rules - exported
    assert in_dashboard and not in_dashboard - exported, in_dashboard - exported
    # A panel for every family.
    assert not {f for f in families if f not in in_dashboard and f + "_total" not in in_dashboard}
    dashboard = json.loads((DEPLOY / "grafana" / "dashboard.json").read_text())
    assert dashboard["panels"] and all(p["targets"] for p in dashboard["panels"])


@pytest.mark.parametrize("command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]])
def test_alert_rules_pass_promtool(command):
    need(Path(PROMTOOL).exists(), "promtool is missing (Debian package prometheus; .ci/install-tools installs it)")
    done = subprocess.run([PROMTOOL, *command], cwd=DEPLOY / "prometheus", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr
