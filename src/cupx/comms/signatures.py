"""Provider webhook signatures, Twilio's scheme (X-Twilio-Signature).

signature = base64(HMAC-SHA1(auth_token, url + concat(sorted(key + value for each POST field))))
Comparison is constant time. Pure: the caller passes the URL the provider called and the form fields.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

__all__ = ["twilio_signature", "verify_twilio_signature"]


def _items(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    data = url + "".join(k + v for k, v in sorted(_items(params)))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify_twilio_signature(auth_token: str, url: str, params: Mapping[str, str] | Iterable[tuple[str, str]],
                            signature: str | None) -> bool:
    if not signature or not auth_token:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature)
