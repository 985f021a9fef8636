"""TRL adapter: a ``reward_funcs`` entry for GRPOTrainer (and other TRL trainers that take reward
functions), scoring each call's completions through the service in one request."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Mapping, Optional, Sequence

from rlar_client.client import RlarClient, default_client, jsonable

logger = logging.getLogger(__name__)

# The columns datasets keep their reference in, most specific first (MATH has both answer and solution).
REFERENCE_COLUMNS = (
    "reference",
    "ground_truth",
    "final_answer",
    "answer",
    "expected_answer",
    "correct_answer",
    "gold",
    "gold_answer",
    "target",
    "solution",
    "label",
    "reward_model",  # verl-style parquet: {"ground_truth": ...}
)
TASK_COLUMNS = ("task", "data_source")
TEXT_BLOCKS = ("text", "input_text", "output_text")


def _content(content: Any) -> Any:
    """Message content as JSON: text as is, None (a tool call) as None, content blocks with their text
    kept and other blocks (images...) reduced to their type, which the service drops with a note."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        blocks = []
        for block in content:
            if isinstance(block, Mapping) and block.get("type") in TEXT_BLOCKS:
                blocks.append({"type": "text", "text": str(block.get("text", ""))})
            else:
                kind = block.get("type") if isinstance(block, Mapping) else None
                blocks.append({"type": str(kind or type(block).__name__)})
        return blocks
    return str(jsonable(content))


def _messages(value: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    messages = []
    for m in value:
        message: Dict[str, Any] = {"role": str(m.get("role", "user")), "content": _content(m.get("content"))}
        if m.get("tool_calls"):
            message["tool_calls"] = jsonable(m["tool_calls"])
        messages.append(message)
    return messages


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b["text"] for b in content if b.get("type") == "text")
    return ""


def _response(completion: Any) -> str:
    """A completion's text: the string, or the last assistant message's text. A completion that ends
    at a tool call has no text: an empty response, never the string "None"."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, (list, tuple)):
        assistant = [m for m in _messages(completion) if m["role"] == "assistant"]
        return _text(assistant[-1]["content"]) if assistant else ""
    return str(jsonable(completion))


class RlarReward:
    """``RlarReward()(prompts, completions, **columns) -> list[float | None]``.

    The reference comes from the column ``reference_column`` names, else from the first of
    REFERENCE_COLUMNS present (reference, ground_truth, final_answer, answer, ..., target, solution,
    label); the task hint from task or data_source. An item the service could not score, or one it
    abstained on (open-ended with no quality signal and ``RLAR_OPEN_ENDED=abstain``), gives None
    (TRL's "not applicable") unless ``none_on_error`` is False.
    """

    def __init__(
        self,
        client: Optional[RlarClient] = None,
        none_on_error: bool = True,
        name: str = "rlar",
        reference_column: Optional[str] = None,
    ) -> None:
        self.client = client
        self.none_on_error = none_on_error
        self.reference_column = reference_column
        self.__name__ = name  # TRL names the logged reward after its function
        self._warned = False

    def _references(self, columns: Mapping[str, Any], count: int) -> List[Any]:
        if self.reference_column is not None:
            if self.reference_column not in columns:
                raise KeyError(f"reference column {self.reference_column!r} is not among the dataset's columns {sorted(columns)}")
            names: Sequence[str] = (self.reference_column,)
        else:
            names = [n for n in REFERENCE_COLUMNS if columns.get(n) is not None]
            if not names and not self._warned:
                self._warned = True
                logger.warning("no reference column among %s: items are scored as open-ended; name one with reference_column=", sorted(columns))
        values = columns.get(names[0]) if names else None
        if values is None:
            return [None] * count
        references = [jsonable(v) for v in values]
        if names and names[0] == "reward_model":
            references = [r.get("ground_truth") if isinstance(r, dict) else r for r in references]
        return references

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> List[Optional[float]]:
        references = self._references(columns, len(completions))
        tasks = next((columns[n] for n in TASK_COLUMNS if columns.get(n) is not None), None)
        items = []
        for i, (prompt, completion) in enumerate(zip(prompts, completions)):
            is_chat = isinstance(prompt, (list, tuple))
            item: Dict[str, Any] = {"prompt": _messages(prompt) if is_chat else str(prompt), "response": _response(completion)}
            if i < len(references) and references[i] is not None:
                item["reference"] = references[i]
            if tasks is not None and i < len(tasks) and tasks[i] is not None:
                item["task"] = str(jsonable(tasks[i]))
            items.append(item)
        results = (self.client or default_client()).score(items)
        return [None if self.none_on_error and (r.get("error") or r.get("abstained")) else float(r["reward"]) for r in results]
