"""connector/capacity.py: gunicorn's worker_connections from MAX_STREAMS, and the file-descriptor limit it needs.
(tests/integration/test_stream_capacity.py starts gunicorn under a low limit.)"""
from __future__ import annotations

import resource

import pytest

from connector.capacity import FD_RESERVE, MIN_REQUEST_HEADROOM, REQUEST_HEADROOM, plan
from connector.config import ConfigError

ROOMY = (1024, 1_048_576)


def test_the_defaults_hold_ten_thousand_streams_with_room_for_requests():
    p = plan({}, ROOMY)
    assert (p.max_streams, p.worker_connections) == (10_000, 10_000 + REQUEST_HEADROOM)
    assert p.nofile == (10_000 + REQUEST_HEADROOM + FD_RESERVE, 1_048_576)  # the soft limit to raise to
    assert p.notes == [] and not p.lowered


def test_worker_connections_follow_max_streams_unless_set():
    assert plan({"MAX_STREAMS": "300"}, ROOMY).worker_connections == 300 + REQUEST_HEADROOM
    assert plan({"MAX_STREAMS": "300", "WORKER_CONNECTIONS": "450"}, ROOMY).worker_connections == 450


def test_a_soft_limit_already_high_enough_is_left_alone():
    assert plan({}, (50_000, 60_000)).nofile == (50_000, 60_000)
    assert plan({}, (1024, resource.RLIM_INFINITY)).nofile == (10_000 + REQUEST_HEADROOM + FD_RESERVE,
                                                                 resource.RLIM_INFINITY)


def test_worker_connections_that_leave_requests_no_room_stop_the_start():
    with pytest.raises(ConfigError, match=r"WORKER_CONNECTIONS=1000 leaves requests no room next to "
                                          r"MAX_STREAMS=10000 open streams"):
        plan({"WORKER_CONNECTIONS": "1000"}, ROOMY)
    plan({"MAX_STREAMS": "900", "WORKER_CONNECTIONS": str(900 + MIN_REQUEST_HEADROOM)}, ROOMY)
    with pytest.raises(ConfigError, match="WORKER_CONNECTIONS='lots' is invalid: must be a whole number"):
        plan({"WORKER_CONNECTIONS": "lots"}, ROOMY)
    with pytest.raises(ConfigError, match="MAX_STREAMS='0' is invalid"):
        plan({"MAX_STREAMS": "0"}, ROOMY)


@pytest.mark.parametrize("hard", [400, 1024, 10_000])
def test_a_hard_limit_too_low_lowers_both_caps_to_fit_and_says_so(hard):
    p = plan({}, (256, hard))
    assert p.lowered and p.nofile == (hard, hard)
    assert p.worker_connections == hard - FD_RESERVE  # every connection has its descriptor, the reserve stays
    assert p.worker_connections - p.max_streams >= MIN_REQUEST_HEADROOM  # requests still find a slot
    assert 0 < p.max_streams < 10_000
    assert f"the file-descriptor limit (hard {hard}) holds {hard - FD_RESERVE} connections" in p.notes[0]
    assert f"MAX_STREAMS from 10000 to {p.max_streams}" in p.notes[0]
