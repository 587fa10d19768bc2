"""Logging: one line per event, level from LOG_LEVEL."""
from __future__ import annotations

import logging

from flask import Flask


def init_logging(app: Flask) -> None:
    """Configure the root logger once per process and say what mode the app runs in."""
    level = getattr(logging, app.config["LOG_LEVEL"])
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("connector").setLevel(level)
    if app.config["MODE"] == "demo":
        logging.getLogger("connector").info(
            "DEMO MODE: serving the built-in sample Attio workspace at %s (no real data)", app.config["ATTIO_API_URL"])
    if app.config.get("SECRET_KEY_GENERATED") and app.config["MODE"] != "demo":
        logging.getLogger("connector").warning("SECRET_KEY is not set; using a random one for this process")
