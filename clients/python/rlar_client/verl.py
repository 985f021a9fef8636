"""verl adapters: ``custom_reward_function`` for each of verl's reward managers.

- ``compute_score_async`` (``async def``): the reward loop (``reward_model.use_reward_loop``, the
  default since verl 0.7) with the ``naive``, ``dapo`` or ``rate_limited`` manager. verl awaits one call
  per sample (as each rollout finishes, or a whole step at once with a reward model); calls that arrive
  together in one process are coalesced into one HTTP request every few milliseconds
  (``$RLAR_COALESCE_MS``, default 5).
- ``compute_score``: one sample, one request; for the legacy ``naive`` and ``dapo`` managers and the
  reward loop's ``remote`` manager (which refuses ``async`` functions).
- ``compute_score_batch``: the legacy ``batch`` manager, one request per step.
- ``compute_score_prime``: the legacy ``prime`` manager, which reads a bare number (a dict would be
  read as ``result[0]`` and every reward set to 0).

Every variant but the prime one returns ``{"score", "rlar_error", "rlar_unscored", "rlar_format_only"}``
(the same keys for every sample, as verl requires). Load it as ``path: pkg://rlar_client.verl`` (verl
0.7.0 and later) so the prime manager's worker processes can import it by name; verl 0.6 takes only a
file path (this file's).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from rlar_client.client import default_client, jsonable

PROMPT_KEYS = ("question", "prompt", "problem", "query", "instruction")


def _item(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    info = extra_info or {}
    question = next((info[k] for k in PROMPT_KEYS if isinstance(info.get(k), str) and info[k]), "")
    item: Dict[str, Any] = {"prompt": question, "response": str(solution_str), "task": str(jsonable(data_source))}
    reference = jsonable(ground_truth)
    if reference is not None:
        item["reference"] = reference
    return item


def _result(result: Mapping[str, Any]) -> Dict[str, float]:
    # verl logs every key of the dict and stacks them across samples: the key set never changes.
    detail = result.get("detail") or {}
    return {
        "score": float(result["reward"]),
        "rlar_error": 1.0 if result.get("error") else 0.0,
        "rlar_unscored": 1.0 if result.get("unscored") else 0.0,
        "rlar_format_only": 1.0 if detail.get("format_only") else 0.0,
    }


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Dict[str, float]:
    """One sample, one request."""
    return _result(default_client().score([_item(data_source, solution_str, ground_truth, extra_info)])[0])


def compute_score_prime(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> float:
    """The legacy ``prime`` manager's form: it calls ``f(data_source, solution, ground_truth, extra_info)``
    positionally in worker processes and takes a bare number."""
    return compute_score(data_source, solution_str, ground_truth, extra_info)["score"]


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    **kwargs: Any,
) -> List[Dict[str, float]]:
    """The legacy ``batch`` manager: a whole step in one request, one dict per sample, in order."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    items = [_item(d, s, g, e) for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos)]
    return [_result(result) for result in default_client().score(items)]


class _Coalescer:
    """Gathers the items of concurrent calls on one event loop and scores them in one request per
    window; the blocking HTTP calls run on threads of their own (``$RLAR_COALESCE_THREADS``, default 8),
    so the loop keeps gathering, and verl's decoding, which runs on the loop's default executor, never
    waits behind requests of slow items (code tests)."""

    def __init__(self, window_s: float, max_items: int, threads: int) -> None:
        self.window_s = window_s
        self.max_items = max_items
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rlar-coalesce")
        self._pending: List[Tuple[Dict[str, Any], "asyncio.Future[Mapping[str, Any]]"]] = []
        self._timer: Optional[asyncio.TimerHandle] = None
        self._sending: Set["asyncio.Task[None]"] = set()
        self.requests = 0

    async def score(self, item: Dict[str, Any]) -> Mapping[str, Any]:
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Mapping[str, Any]]" = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_items:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: List[Tuple[Dict[str, Any], "asyncio.Future[Mapping[str, Any]]"]]) -> None:
        self.requests += 1
        client = default_client()
        try:
            results = await asyncio.get_running_loop().run_in_executor(self._executor, client.score, [item for item, _ in batch])
        except Exception as error:  # every caller of the batch sees the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results):
            if not future.done():  # a caller may have been cancelled (the rate_limited manager's timeout)
                future.set_result(result)


_coalescers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Coalescer]" = weakref.WeakKeyDictionary()


def _coalescer() -> _Coalescer:
    loop = asyncio.get_running_loop()
    coalescer = _coalescers.get(loop)
    if coalescer is None:
        window_ms = float(os.environ.get("RLAR_COALESCE_MS") or 5)
        coalescer = _Coalescer(
            window_ms / 1000, int(os.environ.get("RLAR_COALESCE_MAX") or 4096), int(os.environ.get("RLAR_COALESCE_THREADS") or 8)
        )
        _coalescers[loop] = coalescer
    return coalescer


async def compute_score_async(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]] = None, **kwargs: Any
) -> Dict[str, float]:
    """One sample of verl's reward loop; concurrent calls share HTTP requests."""
    return _result(await _coalescer().score(_item(data_source, solution_str, ground_truth, extra_info)))
