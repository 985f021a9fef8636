"""verl adapters: ``custom_reward_function`` for the naive/prime reward managers (one sample per call)
and for the ``batch`` reward manager (one HTTP call per step).

verl config::

    custom_reward_function:
      path: <site-packages>/rlar_client/verl.py
      name: compute_score          # or compute_score_batch with reward_model.reward_manager=batch
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from rlar_client.client import default_client, jsonable

def _item(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    info = extra_info or {}
    question = info.get("question") or info.get("prompt") or info.get("problem") or ""
    item: Dict[str, Any] = {"prompt": str(question), "response": solution_str, "task": str(data_source)}
    reference = jsonable(ground_truth)
    if reference is not None:
        item["reference"] = reference
    return item


def _result(result: Mapping[str, Any]) -> Dict[str, float]:
    # verl logs every key of the dict: the set is the same for every sample.
    return {"score": float(result["reward"]), "rlar_error": 1.0 if result.get("error") else 0.0}


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Dict[str, float]:
    """One sample: ``{"score": reward, "rlar_error": 0.0 | 1.0}``."""
    return _result(default_client().score([_item(data_source, solution_str, ground_truth, extra_info)])[0])


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Optional[Sequence[Optional[Mapping[str, Any]]]] = None,
    **kwargs: Any,
) -> List[Dict[str, float]]:
    """A whole step in one request: one dict per sample, in order."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    items = [_item(d, s, g, e) for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos)]
    return [_result(result) for result in default_client().score(items)]
