"""The parts of docs/benchmarks.md that separate bench scripts own, between marker comments."""
from __future__ import annotations

from pathlib import Path

OAUTH = ("<!-- oauth:start -->", "<!-- oauth:end -->")  # bench/oauth_flow.py
CACHE = ("<!-- cache:start -->", "<!-- cache:end -->")  # bench/fetch_cache.py
CAPACITY = ("<!-- capacity:start -->", "<!-- capacity:end -->")  # bench/capacity.py
PEERS = ("<!-- peers:start -->", "<!-- peers:end -->")  # bench/peers/run.py
OWNED = (PEERS, OAUTH, CACHE, CAPACITY)


def existing_section(path: Path, start: str, end: str) -> str | None:
    """The section between the markers (markers included), or None."""
    try:
        text = path.read_text()
    except OSError:
        return None
    if start in text and end in text:
        return start + text.split(start, 1)[1].split(end, 1)[0] + end
    return None


def write_section(path: Path, start: str, end: str, body: str) -> None:
    """Replace (or append) the section between the markers; `body` excludes the markers."""
    section = f"{start}\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        text = text.split(start, 1)[0] + section + text.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
