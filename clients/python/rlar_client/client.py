"""HTTP client for the RLAR reward service, standard library only (it installs into any trainer)."""

from __future__ import annotations

import http.client
import json
import os
import random
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Sequence

DEFAULT_URL = "http://127.0.0.1:8000"
# 504 is the service's "deadline passed": retrying would only double the load.
RETRY_STATUSES = {429, 500, 502, 503}


def jsonable(ground_truth: Any) -> Any:
    """A reference as JSON: trainers pass strings, lists, dicts, or numpy values and other objects."""
    if isinstance(ground_truth, (str, list, dict)) or ground_truth is None:
        return ground_truth
    try:
        return json.loads(json.dumps(ground_truth, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
    except (TypeError, ValueError):
        return str(ground_truth)


class RlarError(RuntimeError):
    """The service answered an error that retrying will not fix, or kept failing."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class RlarClient:
    """Posts batches of items to ``POST /reward`` and returns one result per item, in order.

    ``url`` defaults to ``$RLAR_URL`` (else http://127.0.0.1:8000) and ``api_key`` to ``$RLAR_API_KEY``.
    Connection errors, 429 and 5xx are retried ``retries`` times with exponential backoff (honouring
    Retry-After); every attempt has ``timeout`` seconds.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        timeout: float = 180.0,
        retries: int = 5,
        backoff: float = 1.0,
    ) -> None:
        self.url = (url or os.environ.get("RLAR_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("RLAR_API_KEY")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POSTs JSON to the service with the retry policy; returns the parsed answer."""
        data = json.dumps(body).encode("utf-8")
        headers = {"content-type": "application/json", "accept": "application/json"}
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
        in one request; returns the service's per-item results (``reward``, ``components``, ``error``?)."""
        if not items:
            return []
        body: Dict[str, Any] = {"items": [dict(item) for item in items]}
        if timeout_ms is not None:
            body["options"] = {"timeout_ms": int(timeout_ms)}
        answer = self.post("/reward", body)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(items):
            raise RlarError("the service answered a malformed batch")
        return results

    def rewards(self, items: Sequence[Mapping[str, Any]]) -> List[float]:
        """Just the rewards, in order."""
        return [float(result["reward"]) for result in self.score(items)]


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
