"""A brief in-worker memory of verified access tokens: a token checked against the OAuth store on one MCP call is
not looked up again on the next few (connector.auth.resource uses it; a lookup is two queries and a commit).

What it never changes, whatever it holds:
- An entry lives at most TOKEN_CACHE_SECONDS (default 5, never more) and never past its token's own expiry: a
  token that has expired is refused at once, and a revocation made anywhere (another worker or instance, the
  `flask` CLI, a row edited by hand) takes effect within that bound.
- A revocation made in this worker evicts its grant's entries at once (store.revoke_grant calls `evict`). With
  REDIS_URL every revocation is also published (connector.auth.revocation_feed) and every worker evicts at once;
  while a worker is not subscribed (Redis down, not yet connected) it caches nothing.
- Entries are keyed by the token's keyed hash (HMAC-SHA256 with the pepper, as the store keys it), never by the
  token; a different token can only find its own entry.
- Only a token that passed every check is remembered (found, live, its grant live, attio:read); what varies per
  request (the endpoint's audience) is checked again on every use.

An entry made from a lookup that started before an eviction is dropped (a revocation racing the lookup wins).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

MAX_SECONDS = 5.0


@dataclass(frozen=True)
class Verified:
    """What a successful lookup established about a token (no secret: the Attio credential stays ciphertext)."""

    subject: str
    client_id: str
    grant_id: str
    scopes: frozenset[str]
    resource: str
    expires_at: float  # the access token's own expiry, epoch seconds
    credential_id: str | None = None  # attio_oauth: the grant's Attio credential, still encrypted
    ciphertext: str | None = None


class VerifiedTokens:
    """The memory itself: digest → (Verified, deadline). One per app (`app.extensions["verified_tokens"]`)."""

    def __init__(self, seconds: float, max_entries: int = 10_000, *, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.seconds = min(float(seconds), MAX_SECONDS)
        self.max_entries = max_entries
        self.monotonic, self.wall = monotonic, wall
        self._entries: dict[str, tuple[Verified, float]] = {}
        # Bumped by every eviction: a lookup that started under an older generation may have read a row that a
        # revocation has since changed, so its result is not remembered.
        self.generation = 0
        # Set by the revocation feed: False while a configured feed is not subscribed (then nothing is cached).
        self.accepting: Callable[[], bool] = lambda: True

    @property
    def enabled(self) -> bool:
        """False when TOKEN_CACHE_SECONDS is 0."""
        return self.seconds > 0

    def get(self, digest: str) -> Verified | None:
        """The entry for this digest if it is still within both bounds; a stale one is dropped."""
        found = self._entries.get(digest)
        if found is None:
            return None
        entry, deadline = found
        if self.monotonic() >= deadline or self.wall() >= entry.expires_at:
            self._entries.pop(digest, None)
            return None
        return entry

    def put(self, digest: str, entry: Verified, generation: int) -> None:
        """Remember a verified token, unless an eviction happened since its lookup began (or caching is off)."""
        if not self.enabled or generation != self.generation or not self.accepting():
            return
        if entry.expires_at <= self.wall():
            return
        if len(self._entries) >= self.max_entries and digest not in self._entries:
            self._prune()
        self._entries[digest] = (entry, self.monotonic() + self.seconds)

    def evict(self, grant_ids: Iterable[str]) -> int:
        """Forget every entry of these grants (they were revoked); how many went."""
        wanted = set(grant_ids)
        self.generation += 1
        gone = [d for d, (entry, _) in list(self._entries.items()) if entry.grant_id in wanted]
        for digest in gone:
            self._entries.pop(digest, None)
        return len(gone)

    def clear(self) -> None:
        """Forget everything (the revocation feed lost its subscription and may have missed evictions)."""
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self) -> None:
        now, wall = self.monotonic(), self.wall()
        for digest, (entry, deadline) in list(self._entries.items()):
            if now >= deadline or wall >= entry.expires_at:
                self._entries.pop(digest, None)
        while len(self._entries) >= self.max_entries:  # all fresh: the oldest go first (dicts keep insertion order)
            self._entries.pop(next(iter(self._entries)))
