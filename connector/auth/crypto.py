"""Keyed hashes for tokens, codes and secrets; encryption for upstream Attio tokens; password hashing.

Keys derive from SECRET_KEY (and SECRET_KEY_FALLBACKS while rotating) with HKDF, so a
database dump alone reveals nothing usable. Upstream tokens use MultiFernet: the first
key encrypts, every listed key decrypts.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from werkzeug.security import check_password_hash, generate_password_hash


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"attio-connector", info=purpose).derive(secret.encode())


def new_token(prefix: str, nbytes: int = 32) -> str:
    """A fresh random token such as `atk_…` (the prefix says what it is in logs and leaks)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


@dataclass
class Keyring:
    """The current and previous keys for hashing and encryption."""

    peppers: list[bytes]
    fernet: MultiFernet
    key_ids: list[str]

    def __repr__(self) -> str:
        # Never the key material: Authlib debug-logs client objects that hold a Keyring.
        return f"Keyring(key_ids={self.key_ids!r})"

    @classmethod
    def from_config(cls, secret_key: str, fallbacks: list[str], encryption_keys: list[str]) -> "Keyring":
        """Build from SECRET_KEY (+ fallbacks) and optional explicit Fernet keys.

        With ENCRYPTION_KEYS the first of them encrypts; the keys derived from SECRET_KEY and its fallbacks still
        decrypt after them, so credentials stored before ENCRYPTION_KEYS was set stay readable until `flask keys
        rotate` moves them under it.
        """
        secrets_in_order = [secret_key, *fallbacks]
        peppers = [_derive(s, b"token-pepper") for s in secrets_in_order]
        derived = [base64.urlsafe_b64encode(_derive(s, b"upstream-encryption")).decode() for s in secrets_in_order]
        keys = [*encryption_keys, *derived] if encryption_keys else derived
        key_ids = [hashlib.sha256(k.encode()).hexdigest()[:8] for k in keys]
        return cls(peppers=peppers, fernet=MultiFernet([Fernet(k) for k in keys]), key_ids=key_ids)

    def digest(self, value: str) -> str:
        """The lookup hash of a token/code/secret under the current pepper."""
        return hmac.new(self.peppers[0], value.encode(), hashlib.sha256).hexdigest()

    def digests(self, value: str) -> list[str]:
        """Hashes under every pepper (current first), to find values stored before a rotation."""
        return [hmac.new(p, value.encode(), hashlib.sha256).hexdigest() for p in self.peppers]

    def matches(self, value: str | None, stored: str | None) -> bool:
        """Constant-time check of a presented value against a stored hash."""
        if not value or not stored:
            return False
        return any(hmac.compare_digest(d, stored) for d in self.digests(value))

    def encrypt(self, plaintext: str) -> tuple[str, str]:
        """(ciphertext, key id) for an upstream token."""
        return self.fernet.encrypt(plaintext.encode()).decode(), self.key_ids[0]

    def decrypt(self, ciphertext: str) -> str | None:
        """The plaintext, or None when no key opens it."""
        try:
            return self.fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            return None

    def rotate(self, ciphertext: str) -> tuple[str, str]:
        """Re-encrypt under the current key."""
        return self.fernet.rotate(ciphertext.encode()).decode(), self.key_ids[0]


def pkce_s256_matches(code_verifier: str, code_challenge: str) -> bool:
    """RFC 7636 S256 check in constant time (Authlib's own check compares with ==)."""
    computed = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(computed, (code_challenge or "").encode())


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug)."""
    return generate_password_hash(password, method="scrypt")


def check_password(stored: str | None, password: str) -> bool:
    """Constant-time password check; False for accounts without a password."""
    if not stored:
        check_password_hash(DUMMY_HASH, password)  # same work either way: no user enumeration by timing
        return False
    return check_password_hash(stored, password)


DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")
