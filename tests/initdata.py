"""Mini App ``initData`` signed the way Telegram signs it, for the board's tests (endpoint and browser).

Written from Telegram's description ("Validating data received via the Mini App"), not from the product's code,
so a test that passes proves the server checks what Telegram actually sends: the data-check string is every
field but ``hash``, sorted by key, as ``key=value`` lines joined by ``\\n``; the secret key is
HMAC-SHA256(key="WebAppData", msg=bot_token); ``hash`` is the hex HMAC-SHA256 of the data-check string under it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlencode


def sign_init_data(
    bot_token: str,
    user_id: int,
    *,
    first_name: str = "Test",
    language_code: str = "en",
    auth_date: int | None = None,
    query_id: str = "AAHdF6IQAAAAAN0XohDhrOrc",
    extra: dict[str, str] | None = None,
) -> str:
    """The raw initData query string for ``user_id``, signed with ``bot_token``; ``auth_date`` defaults to now."""
    user: dict[str, Any] = {"id": user_id, "first_name": first_name, "language_code": language_code}
    fields = {
        "query_id": query_id,
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **(extra or {}),
    }
    fields["hash"] = init_data_hash(bot_token, fields)
    return urlencode(fields, quote_via=quote)  # %20, as Telegram writes it, not +


def init_data_hash(bot_token: str, fields: dict[str, str]) -> str:
    """The ``hash`` Telegram puts in initData with these fields (everything but ``hash`` itself)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "hash")
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def forge(init_data: str) -> str:
    """The same initData with the user's id changed after signing (the hash no longer matches)."""
    return init_data.replace("%22id%22%3A", "%22id%22%3A9", 1)
