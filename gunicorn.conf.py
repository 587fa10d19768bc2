"""gunicorn settings: gevent workers, stream-friendly timeouts, demo Attio side process.

Every value can be overridden from the environment; see docs/operations.md.
"""
import os
import sys
import time

_port = os.environ.get("PORT")
# PaaS platforms (Heroku, Render) set PORT and route to 0.0.0.0; locally we stay on loopback.
_ALL_INTERFACES = "0.0.0.0"  # nosec B104  # only when the platform sets PORT (its router is the only way in)
bind = os.environ.get("BIND") or (f"{_ALL_INTERFACES}:{_port}" if _port else "127.0.0.1:8000")
os.environ["CONNECTOR_BIND"] = bind

worker_class = "gevent"
# gevent would keep, for every greenlet, the stack it was spawned from (a debugging aid): about 0.5 KiB for each
# open stream's connection greenlet, and time on every spawn.
os.environ.setdefault("GEVENT_TRACK_GREENLET_TREE", "false")
# One gevent worker serves thousands of connections, and MCP sessions live in worker memory.
# WEB_CONCURRENCY (set by Heroku) is deliberately not used: several workers would split sessions.
workers = int(os.environ.get("CONNECTOR_WORKERS", "1"))
# Every open SSE stream holds a connection and a file descriptor: worker_connections is MAX_STREAMS (app setting,
# 10000) + 2000 unless WORKER_CONNECTIONS says otherwise, and the soft RLIMIT_NOFILE is raised to fit (workers inherit
# it). Where the hard limit is lower, both caps are lowered to fit it and on_starting says so (connector/capacity.py).
_capacity_error = None
try:
    from connector import capacity as _capacity_module

    _capacity = _capacity_module.apply(os.environ)
    worker_connections = _capacity.worker_connections
    if _capacity.lowered:
        os.environ["MAX_STREAMS"] = str(_capacity.max_streams)  # what the workers' settings will read
except ValueError as _exc:  # ConfigError: reported by on_starting, which stops the server
    _capacity, _capacity_error, worker_connections = None, _exc, 1000
# For gevent workers this is a heartbeat, not a request limit: long streams are fine.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Heroku kills 30 s after SIGTERM; open streams hold the worker until this runs out.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "20"))
# Above the Heroku router's 90 s idle keep-alive, so the router closes idle connections, not us.
keepalive = int(os.environ.get("KEEPALIVE", "95"))
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("MAX_REQUESTS_JITTER", "0"))
# Imports after the gevent worker patches; preloading would import requests/ssl unpatched.
preload_app = False
# "off" (or /dev/null) turns the access log off altogether: gunicorn then formats no line at all, which it still
# does for every request when the target is /dev/null (behind a proxy or router that logs requests, use off).
_access = os.environ.get("ACCESS_LOG", "-").strip()
accesslog = None if _access.lower() in ("off", "none", "/dev/null") else _access
# %(U)s is the path without the query string: /messages?sessionId=… never reaches the log.
# The request id (X-Request-ID, echoed by the app) ends the line, tying it to the app's lines of that request.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s" rid=%({x-request-id}o)s'
_json_logs = os.environ.get("LOG_FORMAT", "text").strip().lower() == "json"
if _json_logs:
    # LOG_FORMAT=json: gunicorn's own lines (start-up, workers, access) are JSON like the app's; the app's root
    # handler is this one too (connector.ops.logs adds nothing when the root already has a handler).
    logconfig_dict = {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "connector.requestid.RequestIdFilter"}},
        "formatters": {"json": {"()": "connector.logformat.json_formatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                                "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
        "loggers": {"gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False}},
    }
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "attio-connector"
# The control socket's default path is shared by every instance of a user; runtime worker changes
# would also split MCP sessions. Off unless asked for.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

_demo = None

# Prometheus multiprocess mode: every worker writes its metrics into this directory and /metrics sums them. It
# must be in the environment before a worker imports prometheus_client. An operator's own directory is emptied
# at start (values of a previous run would add up); otherwise a private one is made and removed at exit.
_metrics_dir_owned = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir_owned:
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="attio-connector-metrics-")


def _empty_metrics_dir() -> None:
    import glob

    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def on_starting(server):
    """Validate settings before any worker starts; in demo mode start the demo Attio."""
    global _demo
    from connector.config import ConfigError, load_settings

    _empty_metrics_dir()

    try:
        if _capacity_error is not None:
            raise _capacity_error
        for note in _capacity.notes:
            server.log.warning("capacity: %s", note)
        settings = load_settings()
        if workers != 1 and not settings["REDIS_URL"]:
            raise ConfigError(f"CONNECTOR_WORKERS={workers} needs REDIS_URL: without it MCP sessions live in one "
                              "worker's memory and several workers would lose each other's sessions. Set REDIS_URL, "
                              "or run one gevent worker (it serves thousands of connections).")
    except ConfigError as exc:
        sys.stderr.write(f"\nconfiguration error: {exc}\n\n")
        sys.exit(2)
    # Migrate once, here, before workers fork: several workers migrating a fresh database would race.
    # A separate process keeps the master free of modules gevent must patch first (ssl, requests).
    import subprocess  # nosec B404  # runs this interpreter on fixed arguments

    # bandit B603: a fixed argv (this interpreter, `flask --app connector db upgrade`), no shell, no outside input.
    # Without the metrics directory: a finished process's gauges would stay in the sums.
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "connector", "db", "upgrade"],  # nosec B603
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.stderr.write(f"\ndatabase migration failed:\n{done.stderr[-3000:]}\n")
        sys.exit(2)
    if settings["MODE"] == "demo" and not os.environ.get("ATTIO_API_URL"):
        from attio_demo.runner import SupervisedDemo

        # Watched: if the demo dies, it is started again on the same port (the workers keep its URL).
        # The arbiter closes its listeners as soon as it starts to stop: then the demo's exit is part of it.
        _demo = SupervisedDemo(log=server.log.warning, stopping=lambda: not server.LISTENERS)
        os.environ["ATTIO_API_URL"] = _demo.url
        server.log.info("DEMO MODE: built-in sample Attio workspace running at %s", _demo.url)


def when_ready(server):
    """Say where to point an MCP client."""
    host, _, port = bind.rpartition(":")
    shown = "127.0.0.1" if host in (_ALL_INTERFACES, "") else host
    public = os.environ.get("PUBLIC_URL")
    url = f"{public.rstrip('/')}/mcp" if public else f"http://{shown}:{port}/mcp"
    banner = (f"\n  Attio Connector is up.\n  MCP URL (Streamable HTTP): {url}\n"
              f"  Legacy SSE URL:            {url[:-4]}/sse\n")
    if _demo is not None:
        banner += "  Mode: DEMO (built-in sample workspace, no credentials needed)\n"
    if _json_logs:
        server.log.info("Attio Connector is up; MCP URL (Streamable HTTP): %s; legacy SSE URL: %s%s", url,
                        url[:-4] + "/sse", "; mode: DEMO" if _demo is not None else "")
        return
    sys.stdout.write(banner + "\n")
    sys.stdout.flush()


def post_worker_init(worker):
    """Each worker purges the OAuth store on its own jittered timer (PURGE_INTERVAL_SECONDS; 0 disables), and
    drains its open streams as soon as it is told to stop (SIGTERM from the master or the platform)."""
    app = worker.wsgi
    extensions = getattr(app, "extensions", {})
    if "db" in extensions:
        from connector.auth.purge import start_timer

        start_timer(app)
    if "mcp" in extensions:
        import gevent

        idle = _track_idle_connections(worker)

        def drain_when_stopping():
            # SIGTERM only clears worker.alive (gunicorn then waits up to graceful_timeout for open connections);
            # open SSE streams would hold it that long, so they are ended here with a last "reconnect" event.
            # Requests whose replies travel on a stream get a third of graceful_timeout (at most 5 s) to finish.
            while worker.alive:
                gevent.sleep(0.2)
            extensions["mcp"].shutdown(wait=min(5.0, worker.cfg.graceful_timeout / 3))
            # An idle keep-alive connection (a router's or proxy's pool) would hold the worker just as long: close
            # it; the client sends its next request on a new connection, which another worker accepts. A connection
            # accepted in the last moment before the listener closed (within a second) gets a second to send.
            from gunicorn.http.errors import NoMoreData

            closed = 0
            while True:
                now = time.monotonic()
                for greenlet, (since, reused) in list(idle.items()):
                    if reused or now - since > 1.0:
                        idle.pop(greenlet, None)
                        greenlet.kill(NoMoreData(), block=False)  # gunicorn's "client went away": closed quietly
                        closed += 1
                if closed:
                    worker.log.info("draining: %d idle keep-alive connections closed", closed)
                    closed = 0
                gevent.sleep(0.5)

        gevent.spawn(drain_when_stopping)


def _track_idle_connections(worker):
    """The connection greenlets of a gevent worker waiting for a request (gunicorn reads each request under
    `worker.timeout_ctx()`, the keep-alive timeout): {greenlet: (waiting since, whether it served one before)}.
    Once the worker stops, a connection whose last response began before (a stream) is closed when that response
    ends, instead of waiting for another request."""
    import weakref

    import gevent
    from gunicorn.http.errors import NoMoreData

    idle = {}
    keepalive_timeout = getattr(worker, "timeout_ctx", None)
    if keepalive_timeout is None:  # not an async (gevent) worker: nothing waits under a keep-alive timeout
        return idle
    served = weakref.WeakSet()  # one greenlet per connection

    class _Waiting:
        def __enter__(self):
            self.greenlet = gevent.getcurrent()
            reused = self.greenlet in served
            if reused and not worker.alive:
                raise NoMoreData()  # gunicorn's "client went away": the connection is closed quietly
            served.add(self.greenlet)
            idle[self.greenlet] = (time.monotonic(), reused)
            self.timeout = keepalive_timeout()
            return self.timeout.__enter__()

        def __exit__(self, *exc):
            idle.pop(self.greenlet, None)
            return self.timeout.__exit__(*exc)

    worker.timeout_ctx = _Waiting
    return idle


def child_exit(server, worker):
    """A worker is gone (exited or killed): its live gauges (open streams, sessions) leave the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Stop the demo Attio with the server; remove the metrics directory it made."""
    if _demo is not None:
        _demo.stop()
    if _metrics_dir_owned:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
