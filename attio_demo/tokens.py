"""The demo Attio's published fixture credentials and the scope sets its tokens carry.

Standard library only: `gunicorn.conf.py`, the runner and the tests import this without Flask.
"""
from __future__ import annotations

DEMO_TOKEN = "demo-attio-key"  # nosec B105  # the demo's public fixture key
DEMO_TOKEN_2 = "demo-attio-key-2"  # nosec B105  # the demo's public fixture key
DEMO_TOKEN_READONLY = "demo-attio-key-readonly"  # nosec B105  # the demo's public fixture key
# A member-level ("user") token of "Demo Sales Co": it acts for Tomás Alvarez, and the endpoints Attio keeps to
# workspace tokens refuse it (reference §0.1).
DEMO_TOKEN_MEMBER = "demo-attio-key-member"  # nosec B105  # the demo's public fixture key
# The demo's one registered OAuth app (see `oauth.py`): loopback /oauth/attio/callback redirects.
DEMO_OAUTH_CLIENT_ID = "demo-oauth-client"
DEMO_OAUTH_CLIENT_SECRET = "demo-oauth-secret"  # nosec B105  # the demo's public fixture secret
DEMO_OAUTH_APP_NAME = "Attio Connector (demo)"

ALL_SCOPES = ("record_permission:read-write object_configuration:read-write list_configuration:read-write "
              "list_entry:read-write note:read-write task:read-write comment:read-write user_management:read "
              "webhook:read-write meeting:read-write call_recording:read-write email:read file:read-write")
READ_SCOPES = ("record_permission:read object_configuration:read list_configuration:read list_entry:read "
               "note:read task:read comment:read user_management:read webhook:read meeting:read "
               "call_recording:read email:read file:read")
WORKSPACE_LEVEL, USER_LEVEL = "workspace", "user"
