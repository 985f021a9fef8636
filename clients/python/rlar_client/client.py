"""HTTP client for the RLAR reward service, standard library only (it installs into any trainer)."""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Sequence

DEFAULT_URL = "http://127.0.0.1:8000"
# 504 was the service's "deadline passed" (now a 200 with unscored items): retrying would double the load.
RETRY_STATUSES = {429, 500, 502, 503}
# A connection closed while a body this large was uploading is taken for the service's body limit.
LARGE_BODY = 1 << 20


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: numpy scalars and arrays (anything with ``.tolist()`` or ``.item()``),
    tuples and sets become numbers and lists, dict keys strings, bytes text, NaN and infinities None.
    A value with no JSON form raises TypeError naming its type: a repr sent as a reference would be
    scored as text, silently wrong."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return jsonable(value.tolist())
    if hasattr(value, "item"):
        return jsonable(value.item())
    raise TypeError(f"a value of type {type(value).__name__} has no JSON form; convert it before scoring")


class RlarError(RuntimeError):
    """The service answered an error that retrying will not fix, or kept failing."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class RlarClient:
    """Posts batches of items to ``POST /reward`` and returns one result per item, in order.

    ``url`` defaults to ``$RLAR_URL`` (else http://127.0.0.1:8000) and ``api_key`` to ``$RLAR_API_KEY``.
    Connection errors, 429 and 5xx are retried ``retries`` times with exponential backoff (honouring
    Retry-After); every attempt has ``timeout`` seconds, which the service is told (its deadline ends
    before, so the items it scored in time come back). ``score`` splits a batch whose body would pass
    ``max_body_mb`` (default ``$RLAR_MAX_BODY_MB``, else 16; the service refuses bodies over its
    ``RLAR_BODY_LIMIT_MB``, 64 by default), and splits again a batch the service refuses with 413.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        timeout: float = 180.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_body_mb: Optional[float] = None,
    ) -> None:
        self.url = (url or os.environ.get("RLAR_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("RLAR_API_KEY")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_body_bytes = int((max_body_mb or float(os.environ.get("RLAR_MAX_BODY_MB") or 16)) * 1024 * 1024)

    def post(self, path: str, body: Any) -> Any:
        """POSTs JSON to the service with the retry policy; returns the parsed answer."""
        data = (body if isinstance(body, RawJson) else json.dumps(jsonable(body))).encode("utf-8")
        # The service ends the request's deadline before this client's timeout: an answer always arrives in time.
        headers = {"content-type": "application/json", "accept": "application/json", "x-rlar-client-timeout-ms": str(max(1, int(self.timeout * 1000)))}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        last = "no attempt"
        retry_after: Optional[str] = None
        for attempt in range(self.retries + 1):
            if attempt > 0:
                time.sleep(self._delay(attempt, retry_after))
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read().decode("utf-8")
                try:
                    return json.loads(text)
                except ValueError:
                    raise RlarError(f"{path} answered something that is not JSON: {text[:200]}") from None
            except urllib.error.HTTPError as error:
                text = error.read().decode("utf-8", "replace")[:500]
                if error.code not in RETRY_STATUSES:
                    raise RlarError(f"{path} answered {error.code}: {_message(text)}", error.code) from None
                retry_after = error.headers.get("retry-after")
                last = f"{error.code}: {_message(text)}"
            except (OSError, http.client.HTTPException) as error:  # URLError, timeouts and resets are OSErrors
                reason = getattr(error, "reason", error)
                if len(data) > LARGE_BODY and isinstance(reason, (BrokenPipeError, ConnectionResetError)):
                    # The service answers 413 and closes the connection while a body over its limit uploads.
                    raise RlarError(
                        f"{path}: the service closed the connection while a {len(data)}-byte body was uploading, "
                        "most likely over its body limit (RLAR_BODY_LIMIT_MB)",
                        413,
                    ) from None
                retry_after = None
                last = f"connection: {error}"
        raise RlarError(f"{path} kept failing after {self.retries + 1} tries ({last})")

    def _delay(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), 30.0)
            except ValueError:
                pass
        return self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def score(self, items: Sequence[Mapping[str, Any]], timeout_ms: Optional[int] = None) -> List[Dict[str, Any]]:
        """Scores items (``prompt``, ``response``, optional ``reference``, ``task``, ``metadata``, ``id``)
        and returns the service's per-item results (``reward``, ``components``, and ``error``,
        ``unscored``, ``abstained``, ``detail`` when set), in order. Values are made JSON first
        (numpy and the like); a batch over the body limit goes in several requests."""
        if not items:
            return []
        encoded = [json.dumps(jsonable(dict(item))) for item in items]
        results: List[Dict[str, Any]] = []
        for batch in self._batches(encoded):
            results.extend(self._score_encoded(batch, timeout_ms))
        return results

    def _batches(self, encoded: List[str]) -> List[List[str]]:
        batches: List[List[str]] = [[]]
        size = 0
        for item in encoded:
            if batches[-1] and size + len(item) + 64 > self.max_body_bytes:
                batches.append([])
                size = 0
            batches[-1].append(item)
            size += len(item) + 1
        return batches

    def _score_encoded(self, encoded: List[str], timeout_ms: Optional[int]) -> List[Dict[str, Any]]:
        options = f',"options":{{"timeout_ms":{int(timeout_ms)}}}' if timeout_ms is not None else ""
        try:
            answer = self.post("/reward", RawJson("{\"items\":[" + ",".join(encoded) + "]" + options + "}"))
        except RlarError as error:
            if error.status != 413:
                raise
            if len(encoded) == 1:
                raise RlarError(f"one item alone is over the service's body limit ({error})", 413) from None
            half = len(encoded) // 2
            return self._score_encoded(encoded[:half], timeout_ms) + self._score_encoded(encoded[half:], timeout_ms)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(encoded):
            raise RlarError("the service answered a malformed batch")
        return results

    def rewards(self, items: Sequence[Mapping[str, Any]]) -> List[float]:
        """Just the rewards, in order."""
        return [float(result["reward"]) for result in self.score(items)]


class RawJson(str):
    """A body already encoded as JSON text (``post`` sends it as is)."""


def _message(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))
    except (ValueError, AttributeError):
        return text


_default: Optional[RlarClient] = None


def default_client() -> RlarClient:
    """One client per process, configured from the environment (what adapters use)."""
    global _default
    if _default is None:
        _default = RlarClient()
    return _default
