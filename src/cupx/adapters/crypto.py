"""Encryption at rest for personal data, and keyed hashes for exact look-ups.

- `FieldCipher.encrypt(text)` gives `key_id ":" nonce ciphertext+tag` as bytes (AES-256-GCM, a fresh
  96-bit nonce per value). The key id travels with the value so keys can rotate: old values decrypt with
  their own key, new values use the active one.
- `FieldCipher.lookup_hash(value)` is HMAC-SHA256 under a separate key, hex: equal inputs give equal
  hashes, so a phone or email can be found without decrypting every row, and the hash alone does not
  reveal the value to someone without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["FieldCipher"]


def _key_bytes(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("a data key must be 32 bytes (urlsafe base64)")
    return raw


class FieldCipher:
    def __init__(self, keys: dict[str, str], active_key_id: str, lookup_key: str) -> None:
        self._aead = {kid: AESGCM(_key_bytes(k)) for kid, k in keys.items()}
        if active_key_id not in self._aead:
            raise ValueError(f"active key {active_key_id!r} is not configured")
        self.active_key_id = active_key_id
        self._prefix = active_key_id.encode() + b":"
        self._lookup_key = lookup_key.encode()

    def encrypt(self, text: str) -> bytes:
        nonce = os.urandom(12)
        return self._prefix + nonce + self._aead[self.active_key_id].encrypt(nonce, text.encode(), None)

    def encrypt_many(self, texts: list[str]) -> list[bytes]:
        """`encrypt` for many values at once (bulk imports): one read of the random source for all nonces."""
        aead, prefix = self._aead[self.active_key_id], self._prefix
        nonces = os.urandom(12 * len(texts))
        return [prefix + nonces[i * 12:i * 12 + 12] + aead.encrypt(nonces[i * 12:i * 12 + 12], t.encode(), None)
                for i, t in enumerate(texts)]

    def encrypt_optional(self, text: str | None) -> bytes | None:
        return None if text is None or text == "" else self.encrypt(text)

    def decrypt(self, blob: bytes) -> str:
        kid, sep, rest = bytes(blob).partition(b":")
        if not sep or kid.decode() not in self._aead:
            raise ValueError(f"no key {kid.decode(errors='replace')!r} to decrypt this value")
        return self._aead[kid.decode()].decrypt(rest[:12], rest[12:], None).decode()

    def decrypt_optional(self, blob: bytes | None) -> str | None:
        return None if blob is None else self.decrypt(blob)

    def key_id_of(self, blob: bytes) -> str:
        return bytes(blob).partition(b":")[0].decode()

    def lookup_hash(self, value: str) -> str:
        return hmac.digest(self._lookup_key, value.strip().lower().encode(), hashlib.sha256).hex()
