"""OpenRLHF's in-process reward function: ``--reward.remote_url /path/to/rlar_client/openrlhf.py``
(before OpenRLHF 0.10: ``--remote_rm_url``). Simpler still, point ``--reward.remote_url`` at the
service's ``http://HOST:8000/reward``: it speaks OpenRLHF's wire format."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from rlar_client.client import default_client, jsonable


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> Dict[str, Any]:
    """``{"rewards", "scores", "extra_logs"}`` for a batch: torch tensors when torch is importable
    (what OpenRLHF expects in-process), plain lists otherwise. Labels of any type (numbers, lists,
    dicts, numpy values) go as JSON, never as their Python repr."""
    body = {"query": [str(q) for q in queries], "prompts": [str(p) for p in prompts], "labels": [jsonable(label) for label in labels]}
    answer = default_client().post("/reward", body)
    rewards: List[float] = answer["rewards"]
    scores: List[float] = answer.get("scores", rewards)
    extra: Dict[str, List[float]] = answer.get("extra_logs", {})
    try:
        import torch  # type: ignore
    except ImportError:
        return {"rewards": rewards, "scores": scores, "extra_logs": extra}
    return {
        "rewards": torch.tensor(rewards, dtype=torch.float),
        "scores": torch.tensor(scores, dtype=torch.float),
        "extra_logs": {k: torch.tensor(v, dtype=torch.float) for k, v in extra.items()},
    }
