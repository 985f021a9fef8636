"""TRL adapter: a ``reward_funcs`` entry for GRPOTrainer (and other TRL trainers that take reward
functions), scoring each completion through the service in one request per call."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from rlar_client.client import RlarClient, default_client, jsonable

REFERENCE_COLUMNS = ("reference", "answer", "solution", "ground_truth", "label")
TASK_COLUMNS = ("task", "data_source")


def _text(value: Any) -> Any:
    """Completions and prompts may be conversational: lists of {"role", "content"} messages."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{"role": str(m.get("role", "user")), "content": str(m.get("content", ""))} for m in value]
    return str(value)


def _column(columns: Dict[str, Any], names: Sequence[str], index: int) -> Any:
    for name in names:
        values = columns.get(name)
        if values is not None and index < len(values):
            return values[index]
    return None


class RlarReward:
    """``RlarReward()(prompts, completions, **columns) -> list[float | None]``.

    The reference comes from the first column named reference, answer, solution, ground_truth or label,
    and the task hint from task or data_source. An item the service could not score gives None (TRL's
    "not applicable") unless ``none_on_error`` is False.
    """

    def __init__(self, client: Optional[RlarClient] = None, none_on_error: bool = True, name: str = "rlar") -> None:
        self.client = client
        self.none_on_error = none_on_error
        self.__name__ = name  # TRL names the logged reward after its function

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> List[Optional[float]]:
        items = []
        for i, (prompt, completion) in enumerate(zip(prompts, completions)):
            response = _text(completion)
            if isinstance(response, list):  # the assistant's message
                response = response[-1]["content"] if response else ""
            item: Dict[str, Any] = {"prompt": _text(prompt), "response": response}
            reference = _column(columns, REFERENCE_COLUMNS, i)
            if reference is not None:
                item["reference"] = jsonable(reference)
            task = _column(columns, TASK_COLUMNS, i)
            if task is not None:
                item["task"] = str(task)
            items.append(item)
        results = (self.client or default_client()).score(items)
        return [None if (r.get("error") and self.none_on_error) else float(r["reward"]) for r in results]
