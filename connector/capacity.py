"""How many connections one gunicorn worker takes, for gunicorn.conf.py: `worker_connections` from MAX_STREAMS, and
the process's file-descriptor limit raised to fit them (or, where the platform's hard limit is lower, the caps
lowered to fit it, never past it: a worker out of descriptors can accept nothing, not even a POST).

Every open stream holds one connection and one descriptor. `worker_connections` (WORKER_CONNECTIONS) defaults to
MAX_STREAMS plus REQUEST_HEADROOM, so requests — and the idle keep-alive connections of proxies — always find a
slot next to a full set of streams; set explicitly, it must leave at least MIN_REQUEST_HEADROOM. Imports nothing
that gevent must patch first (gunicorn's master reads it).
"""
from __future__ import annotations

import resource
from dataclasses import dataclass, field
from typing import Mapping

from .config import SETTINGS, ConfigError, _int

REQUEST_HEADROOM = 2000
MIN_REQUEST_HEADROOM = 100
# Descriptors a worker needs besides its connections: the listener, logs, the database, Redis and Attio pools,
# the demo Attio's pipes, the metrics files.
FD_RESERVE = 256


@dataclass
class ConnectionPlan:
    """What one worker is set up for, and what had to give way (`notes`, to log at start-up)."""

    worker_connections: int
    max_streams: int
    nofile: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    lowered: bool = False  # MAX_STREAMS had to give way to the file-descriptor limit


# gunicorn's setting, not the app's; parsed the same way.
WORKER_CONNECTIONS = (_int(2, 1_000_000), None)


def _setting(env: Mapping[str, str], name: str) -> tuple[int, bool]:
    """A whole-number setting as the app parses it, and whether the environment set it."""
    parse, default = WORKER_CONNECTIONS if name == "WORKER_CONNECTIONS" else SETTINGS[name]
    raw = env.get(name)
    if not raw:
        return default, False
    try:
        return parse(raw), True
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is invalid: {exc}") from None


def plan(env: Mapping[str, str], nofile: tuple[int, int]) -> ConnectionPlan:
    """The plan for these settings and this (soft, hard) RLIMIT_NOFILE; the soft limit it needs is in `nofile`.
    ConfigError when WORKER_CONNECTIONS and MAX_STREAMS, as set, leave requests no room."""
    streams, _ = _setting(env, "MAX_STREAMS")
    connections, explicit = _setting(env, "WORKER_CONNECTIONS")
    if explicit:
        if connections < streams + MIN_REQUEST_HEADROOM:
            raise ConfigError(
                f"WORKER_CONNECTIONS={connections} leaves requests no room next to MAX_STREAMS={streams} open "
                f"streams: set WORKER_CONNECTIONS to at least MAX_STREAMS + {MIN_REQUEST_HEADROOM} (unset, it is "
                f"MAX_STREAMS + {REQUEST_HEADROOM}), or lower MAX_STREAMS")
    else:
        connections = streams + REQUEST_HEADROOM
    soft, hard = nofile
    unlimited = hard == resource.RLIM_INFINITY
    notes = []
    needed = connections + FD_RESERVE
    if not unlimited and hard < needed:
        fitted = max(MIN_REQUEST_HEADROOM + 1, hard - FD_RESERVE)
        headroom = min(connections - streams, max(MIN_REQUEST_HEADROOM, fitted // 5))
        notes.append(f"the file-descriptor limit (hard {hard}) holds {fitted} connections, not {connections}: "
                     f"worker_connections lowered to {fitted} and MAX_STREAMS from {streams} to "
                     f"{max(1, fitted - headroom)}; raise the hard limit (ulimit -Hn, LimitNOFILE, --ulimit "
                     "nofile) to serve more")
        connections, streams, needed = fitted, max(1, fitted - headroom), hard
    return ConnectionPlan(connections, streams, (max(soft, needed), hard), notes, lowered=bool(notes))


def apply(env: Mapping[str, str]) -> ConnectionPlan:
    """Plan for this process's limit and raise its soft RLIMIT_NOFILE to what the plan needs (workers inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    result = plan(env, (soft, hard))
    if result.nofile[0] > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, result.nofile)
        except (ValueError, OSError) as exc:  # e.g. a platform that caps below its reported hard limit
            result = plan(env, (soft, soft))
            result.notes.insert(0, f"the soft file-descriptor limit could not be raised from {soft} ({exc})")
            return result
    return result
