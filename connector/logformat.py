"""The two log line formats (LOG_FORMAT=text|json), each carrying the request id. Neutral: the app's logging
(connector.ops.logs) and gunicorn's logconfig_dict (gunicorn.conf.py) both build their formatters here."""
from __future__ import annotations

import logging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(trace_id)s %(message)s"
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, request_id, trace_id, message (python-json-logger)."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES)


def formatter(kind: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT `kind` ('text' or 'json')."""
    return json_formatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)
