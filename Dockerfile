# syntax=docker/dockerfile:1
# Attio Connector: gunicorn + gevent workers, installed from the hash lock, run as an unprivileged user.
# Build: docker build -t attio-connector .   Run: see docs/deployment.md (docker-compose.yml runs it with
# PostgreSQL and Redis and a migration step).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements/runtime.txt requirements/runtime.txt
# Every file checked against its hash: pip can neither pick a newer release nor one the lock does not name.
# The app itself is not pip-installed (that would fetch setuptools unchecked): its files are copied below.
RUN /opt/venv/bin/pip install --require-hashes -r requirements/runtime.txt

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    INSTANCE_PATH=/var/lib/attio-connector
# PROMETHEUS_MULTIPROC_DIR stays unset: gunicorn makes a private one in /tmp (a fixed one would break
# `flask --app connector db upgrade` in a fresh container, where it does not exist yet).
# pg_dump/pg_restore for `flask --app connector db backup/restore` against PostgreSQL.
# DL3008 (pin apt versions) ignored: Debian's security updates replace pinned versions, so a pin breaks the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 connector \
    && useradd --system --uid 10001 --gid connector --home-dir /nonexistent --shell /usr/sbin/nologin connector \
    && install -d -o connector -g connector -m 0700 /var/lib/attio-connector
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Owned by root, read-only for the app's user: the app writes to INSTANCE_PATH and /tmp only.
COPY gunicorn.conf.py wsgi.py ./
COPY connector connector
# The demo Attio that demo mode starts; its test-only parts (attio_demo/testing) stay out (.dockerignore).
COPY attio_demo attio_demo
USER 10001:10001
EXPOSE 8000
# Liveness only (never Attio or the database): a slow dependency must not get the container killed.
# The port gunicorn.conf.py binds: BIND's, else PORT. Any error (refused, timeout, non-2xx) exits non-zero.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('BIND', '').rpartition(':')[2] or os.environ.get('PORT', '8000'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
