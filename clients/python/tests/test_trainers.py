"""Each trainer's own call convention, reproduced (verl, OpenRLHF, slime, TRL), against the real service.

The calls below follow the trainers' newest source: verl's reward loop managers
(verl/experimental/reward_loop/reward_manager/naive.py) and legacy managers (workers/reward_manager/
batch.py, prime.py), OpenRLHF's SingleTurnAgentExecutor (utils/agent.py), slime's remote_rm
(rollout/rm_hub/__init__.py) and TRL's GRPOTrainer._calculate_rewards. numpy and aiohttp are used
when importable (Debian: python3-numpy, python3-aiohttp); without them, objects with numpy's
``.tolist()`` / ``.item()`` stand in for numpy values and urllib posts the same JSON aiohttp would.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import json
import math
import os
import random
import sys
import threading
import unittest
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlar_client import RlarClient, RlarError  # noqa: E402
from rlar_client import client as client_module  # noqa: E402

from service import Service  # noqa: E402

ADAPTERS = Path(__file__).resolve().parents[1] / "rlar_client"

try:
    import numpy as np  # type: ignore
except ImportError:  # pragma: no cover - depends on the machine
    np = None

try:
    import aiohttp  # type: ignore
except ImportError:  # pragma: no cover - depends on the machine
    aiohttp = None


class FakeArray:
    """numpy's array protocol as the adapters use it, when numpy is not installed."""

    def __init__(self, values: List[Any]) -> None:
        self.values = values

    def tolist(self) -> List[Any]:
        return list(self.values)

    def __repr__(self) -> str:
        return f"array({self.values})"


class FakeScalar:
    def __init__(self, value: Any) -> None:
        self.value = value

    def item(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"np.int64({self.value})"


def np_int(value: int) -> Any:
    return np.int64(value) if np is not None else FakeScalar(value)


def np_array(values: List[Any]) -> Any:
    return np.array(values) if np is not None else FakeArray(values)


def np_object_array(values: List[Any]) -> Any:
    """verl keeps non-tensor columns (data_source, extra_info) as numpy object arrays."""
    if np is None:
        return list(values)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def load_by_path(name: str, module_name: str) -> Any:
    """As verl's load_module and OpenRLHF's executor load a reward file: by path, outside any package."""
    spec = importlib.util.spec_from_file_location(module_name, ADAPTERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


# verl's get_custom_reward_fn wraps the loaded function so: reward_kwargs merged into each call.
def _call_with_kwargs(raw_fn: Any, extra_kwargs: Dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


async def _call_with_kwargs_async(raw_fn: Any, extra_kwargs: Dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    return await raw_fn(*args, **{**kwargs, **extra_kwargs})


def verl_reward_fn(raw_fn: Any) -> Any:
    import inspect

    if inspect.iscoroutinefunction(raw_fn):
        return functools.partial(_call_with_kwargs_async, raw_fn, {})
    return functools.partial(_call_with_kwargs, raw_fn, {})


def post_json(url: str, body: Any) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


class CountingClient(RlarClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posts = 0
        self.threads: List[str] = []
        self.lock = threading.Lock()

    def post(self, path: str, body: Any) -> Any:
        with self.lock:
            self.posts += 1
            self.threads.append(threading.current_thread().name)
        return super().post(path, body)


CHATML = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"


class TrainerTests(unittest.TestCase):
    service: Service

    @classmethod
    def setUpClass(cls) -> None:
        cls.service = Service()
        os.environ["RLAR_URL"] = cls.service.url

    @classmethod
    def tearDownClass(cls) -> None:
        cls.service.stop()
        client_module._default = None
        os.environ.pop("RLAR_URL", None)

    def setUp(self) -> None:
        self.client = CountingClient(url=self.service.url, retries=1, backoff=0.05)
        client_module._default = self.client

    # verl ------------------------------------------------------------------------------------------

    def run_reward_loop(self, raw_fn: Any, samples: List[Dict[str, Any]], finish_within_s: float = 0.0) -> List[Dict[str, Any]]:
        """verl's reward loop: RewardLoopWorker.compute_score_batch starts one task per sample; each runs
        NaiveRewardManager.run_single: decode on the executor, then the reward function, awaited when it
        is async, else on the executor; a dict result gives result["score"]. With ``finish_within_s``, as
        the agent loop calls it without a reward model: each sample when its rollout finishes, at a
        random moment in that window."""
        compute_score = verl_reward_fn(raw_fn)
        import inspect

        is_async = inspect.iscoroutinefunction(compute_score)

        rollouts = random.Random(7)

        async def run_single(sample: Dict[str, Any]) -> Dict[str, Any]:
            await asyncio.sleep(rollouts.uniform(0, finish_within_s))
            loop = asyncio.get_running_loop()
            response_str = await loop.run_in_executor(None, lambda: sample["response"])  # tokenizer.decode
            kwargs = dict(data_source=sample["data_source"], solution_str=response_str, ground_truth=sample["ground_truth"], extra_info=sample["extra_info"])
            if is_async:
                result = await compute_score(**kwargs)
            else:
                result = await loop.run_in_executor(None, lambda: compute_score(**kwargs))
            score = result["score"] if isinstance(result, dict) else result
            return {"reward_score": score, "reward_extra_info": result if isinstance(result, dict) else {"acc": score}}

        async def compute_score_batch() -> List[Dict[str, Any]]:
            tasks = [asyncio.create_task(run_single(s)) for s in samples]
            return await asyncio.gather(*tasks)

        return asyncio.run(compute_score_batch())

    def math_samples(self, count: int) -> List[Dict[str, Any]]:
        samples = []
        for i in range(count):
            right = i % 2 == 0
            samples.append(
                {
                    "data_source": "openai/gsm8k",
                    "response": f"She earns {i} + {i} = {2 * i}.\n#### {2 * i if right else 2 * i + 1}",
                    # Parquet columns come back as numpy values: an int64 ground truth, extra_info with numpy too.
                    "ground_truth": np_int(2 * i),
                    "extra_info": {"question": f"What is {i} + {i}?", "index": np_int(i), "num_turns": None, "rollout_reward_scores": {}},
                }
            )
        return samples

    def test_verl_reward_loop_async_coalesces_1024_concurrent_samples(self) -> None:
        module = load_by_path("verl", "custom_module_verl_async")
        samples = self.math_samples(1024)
        outputs = self.run_reward_loop(module.compute_score_async, samples)
        self.assertEqual([o["reward_score"] for o in outputs], [1.0 if i % 2 == 0 else 0.0 for i in range(1024)])
        self.assertEqual({tuple(sorted(o["reward_extra_info"])) for o in outputs}, {("rlar_error", "rlar_format_only", "rlar_unscored", "score")})
        # One process, one event loop: the 1,024 calls share a handful of requests, not 1,024.
        print(f"\n[verl reward loop] 1024 async samples -> {self.client.posts} HTTP requests", file=sys.stderr)
        self.assertLessEqual(self.client.posts, 16)

    def test_verl_agent_loop_scores_each_sample_as_its_rollout_finishes(self) -> None:
        module = load_by_path("verl", "custom_module_verl_staggered")
        outputs = self.run_reward_loop(module.compute_score_async, self.math_samples(256), finish_within_s=0.5)
        self.assertEqual([o["reward_score"] for o in outputs], [1.0 if i % 2 == 0 else 0.0 for i in range(256)])
        self.assertEqual({tuple(sorted(o["reward_extra_info"])) for o in outputs}, {("rlar_error", "rlar_format_only", "rlar_unscored", "score")})
        # Spread over 0.5 s, the calls share windows of at least RLAR_COALESCE_MS (5 ms): at most ~100 requests.
        print(f"\n[verl agent loop] 256 samples over 0.5 s -> {self.client.posts} HTTP requests", file=sys.stderr)
        self.assertLessEqual(self.client.posts, 128)
        # On threads of the adapter's own: verl decodes every sample on the loop's default executor.
        self.assertTrue(all(name.startswith("rlar-coalesce") for name in self.client.threads), self.client.threads)

    def test_verl_reward_loop_sync_and_remote_manager_function(self) -> None:
        module = load_by_path("verl", "custom_module_verl_sync")
        outputs = self.run_reward_loop(module.compute_score, self.math_samples(8))
        self.assertEqual([o["reward_score"] for o in outputs], [1.0, 0.0] * 4)
        self.assertEqual(self.client.posts, 8)

    def test_verl_legacy_batch_manager_with_numpy_columns(self) -> None:
        module = load_by_path("verl", "custom_module_verl_batch")
        # BatchRewardManager: compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=).
        scores = verl_reward_fn(module.compute_score_batch)(
            data_sources=np_object_array(["openai/gsm8k", "lighteval/MATH", "math", "codecontests"]),
            solution_strs=["#### 10", "The answer is $\\boxed{\\frac{1}{2}}$", "\\boxed{3.14}", "```python\nprint(int(input()) * 2)\n```"],
            ground_truths=[np_int(10), 0.5, np_array([3.14, 3.1416]), json.dumps({"inputs": ["2\n"], "outputs": ["4\n"]})],
            extra_infos=np_object_array([{"question": "q1", "rollout_reward_scores": {}}, {"question": "q2"}, {}, {}]),
        )
        self.assertEqual([s["score"] for s in scores], [1.0, 1.0, 1.0, 1.0])
        self.assertEqual(self.client.posts, 1)

    def test_verl_prime_manager_reads_a_bare_number(self) -> None:
        # PrimeRewardManager: evaluation_func(task, completion, reference, task_extra_info), positionally, in
        # worker processes; then float(result) for numbers, else float(result[0]). Loaded as pkg://rlar_client.verl.
        module = importlib.import_module("rlar_client.verl")
        completions = ["#### 4", "#### 5"]
        references = [np_int(4), np_int(4)]
        tasks = ["openai/gsm8k", "openai/gsm8k"]

        def prime_scores(raw_fn: Any) -> List[float]:
            evaluation_func = verl_reward_fn(raw_fn)
            with ProcessPoolExecutor(max_workers=2) as executor:
                futures = [executor.submit(functools.partial(evaluation_func, t, c, r, None)) for c, r, t in zip(completions, references, tasks)]
                results = [f.result(timeout=60) for f in futures]
            scores = []
            for result in results:
                scores.append(float(result) if isinstance(result, (int, float, bool)) else float(result[0]))
            return scores

        self.assertEqual(prime_scores(module.compute_score_prime), [1.0, 0.0])
        # The dict form is what the prime manager cannot read: result[0] raises, and verl sets every reward to 0.
        with self.assertRaises(KeyError):
            prime_scores(module.compute_score)

    # OpenRLHF --------------------------------------------------------------------------------------

    def openrlhf_post(self, query: str, prompt: str, label: Any) -> Dict[str, Any]:
        """SingleTurnAgentExecutor._fetch_rewards_via_http: one sample per request, aiohttp json=."""
        payload = {"query": [query], "prompts": [prompt], "labels": [label]}
        if aiohttp is None:
            return post_json(self.service.url + "/reward", payload)

        async def post() -> Dict[str, Any]:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
                async with session.post(self.service.url + "/reward", json=payload) as response:
                    response.raise_for_status()
                    return await response.json()

        return asyncio.run(post())

    def test_openrlhf_queries_with_special_tokens_and_truncated_prompts(self) -> None:
        cases = [
            # (question, decoded response with the special tokens kept, label, expected reward)
            ("What is the capital of France? Answer in one word.", "Paris<|im_end|>", "Paris", 1.0),
            ("Pick one:\nA) red\nB) blue\nC) green", "The answer is (B).<|im_end|>\n<|endoftext|>", "B", 1.0),
            ("Translate to French: the cat sat on the mat", "le chat était assis sur le tapis<|eot_id|>", "le chat était assis sur le tapis", 1.0),
            ("What is 6 * 7?", "6 * 7 = \\boxed{42}<|im_end|>", 42, 1.0),
            ("What is 6 * 7?", "\\boxed{41}<|im_end|>", {"answer": "42"}, 0.0),
        ]
        for question, response, label, expected in cases:
            prompt = CHATML.format(q=question)
            answer = self.openrlhf_post(prompt + response, prompt, label)
            self.assertEqual(answer["rewards"], [expected], question)
            self.assertEqual(answer["extra_logs"]["error"], [0])
        # A prompt longer than max_len - max_tokens: OpenRLHF keeps its last tokens, so the query starts mid-prompt.
        prompt = CHATML.format(q="Background. " * 200 + "Translate to French: the cat sat on the mat")
        answer = self.openrlhf_post(prompt[-150:] + "le chat était assis sur le tapis<|im_end|>", prompt, "le chat était assis sur le tapis")
        self.assertEqual(answer["rewards"], [1.0])

    def test_openrlhf_reward_func_sends_labels_as_json(self) -> None:
        # The executor loads reward_func from the file and runs it with asyncio.to_thread, one sample per call.
        reward_func = load_by_path("openrlhf", "reward_func").reward_func
        prompt = CHATML.format(q="What is 6 * 7?")
        labels = [np_int(42), [42, 42.0], {"answer": 42}, np_array([42]), "42"]

        async def run() -> List[Any]:
            return await asyncio.gather(*[asyncio.to_thread(reward_func, [prompt + "\\boxed{42}<|im_end|>"], [prompt], [label]) for label in labels])

        outputs = asyncio.run(run())
        rewards = [o["rewards"].tolist() if hasattr(o["rewards"], "tolist") else o["rewards"] for o in outputs]
        self.assertEqual(rewards, [[1.0]] * len(labels))

    # slime -----------------------------------------------------------------------------------------

    def slime_remote_rm(self, url: str, sample: Dict[str, Any]) -> Any:
        """slime's remote_rm: {"prompt","response","label"} with aiohttp json=, and the JSON answer is the reward."""
        payload = {"prompt": sample["prompt"], "response": sample["response"], "label": sample["label"]}
        if aiohttp is None:
            return post_json(url, payload)

        async def post() -> Any:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
                async with session.post(url, json=payload) as response:
                    response.raise_for_status()
                    return await response.json()

        return asyncio.run(post())

    def test_slime_gets_a_bare_number_or_a_dict_with_reward_key(self) -> None:
        sample = {
            "prompt": [
                {"role": "system", "content": None},
                {"role": "user", "content": [{"type": "image", "image": "file:///x.png"}, {"type": "text", "text": "What is 3+4?"}]},
            ],
            "response": "The answer is \\boxed{7}.<|im_end|>",
            "label": 7,
        }
        reward = self.slime_remote_rm(self.service.url + "/reward?format=number", sample)
        self.assertEqual(reward, 1)  # stock slime: sample.reward is this number
        answer = self.slime_remote_rm(self.service.url + "/reward", sample)
        self.assertEqual(answer["reward"], 1)  # with --reward-key reward: sample.reward["reward"]
        self.assertEqual(answer["detail"]["stripped_tokens"], ["<|im_end|>"])
        self.assertIn("dropped 1 image block", answer["detail"]["content"])

    # TRL -------------------------------------------------------------------------------------------

    def trl_rewards(self, reward_func: Any, prompts: List[Any], completions: List[Any], **columns: Any) -> List[float]:
        """GRPOTrainer._calculate_rewards: dataset columns (but prompt/completion) as lists, trainer_state,
        log_extra, log_metric; None becomes NaN."""
        reward_kwargs = {**columns, "trainer_state": object(), "log_extra": lambda *a: None, "log_metric": lambda *a: None}
        output = reward_func(prompts=prompts, completions=completions, completion_ids=[[1, 2]] * len(prompts), **reward_kwargs)
        return [r if r is not None else math.nan for r in output]

    def test_trl_finds_references_in_common_columns(self) -> None:
        from rlar_client.trl import RlarReward

        prompts = [[{"role": "user", "content": "What is 1+1?"}]] * 2
        completions = [[{"role": "assistant", "content": "\\boxed{2}"}], [{"role": "assistant", "content": "\\boxed{3}"}]]
        for column in ("final_answer", "target", "ground_truth", "expected_answer"):
            self.assertEqual(self.trl_rewards(RlarReward(), prompts, completions, **{column: ["2", "2"]}), [1.0, 0.0], column)
        # A column the adapter does not know, named; numpy values in it.
        rewards = self.trl_rewards(RlarReward(reference_column="gt_value"), prompts, completions, gt_value=[np_int(2), np_int(2)])
        self.assertEqual(rewards, [1.0, 0.0])

    def test_trl_tool_calls_and_multimodal_content(self) -> None:
        from rlar_client.trl import RlarReward

        prompts = [
            [{"role": "user", "content": [{"type": "image", "image": object()}, {"type": "text", "text": "How many cats? Answer with a number."}]}],
            [{"role": "user", "content": "What is 5*5? Use the calculator."}],
            [{"role": "user", "content": "What is 5*5? Use the calculator."}],
        ]
        completions = [
            [{"role": "assistant", "content": [{"type": "text", "text": "\\boxed{3}"}]}],
            # Cut at the tool call: no text at all (the adapter once sent the string "None").
            [{"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "mul", "arguments": {"a": 5, "b": 5}}}]}],
            [
                {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "mul", "arguments": {"a": 5, "b": 5}}}]},
                {"role": "tool", "name": "mul", "content": "25"},
                {"role": "assistant", "content": "\\boxed{25}"},
            ],
        ]
        self.assertEqual(self.trl_rewards(RlarReward(), prompts, completions, answer=[3, 25, 25]), [1.0, 0.0, 1.0])

    def test_trl_async_grpo_pickles_the_reward_into_a_spawned_process_and_scores_groups_in_threads(self) -> None:
        import multiprocessing
        import pickle

        from rlar_client.trl import RlarReward

        groups = []
        for n in range(8):
            prompt = [{"role": "user", "content": f"What is {n}+{n}?"}]
            answers = [2 * n, 2 * n + 1, 2 * n, 2 * n]
            groups.append(
                {
                    "prompts": [prompt] * 4,
                    "completions": [
                        [{"role": "assistant", "content": "Let me add."}, {"role": "tool", "content": "ok"}, {"role": "assistant", "content": f"\\boxed{{{a}}}"}]
                        for a in answers
                    ],
                    "reward_kwargs": {"answer": [str(2 * n)] * 4, "data_source": ["math"] * 4},
                }
            )
        # The worker checks that the kwargs pickle before it spawns; a client that does not pickle fails there.
        payload = pickle.dumps([RlarReward(client=RlarClient(url=self.service.url, retries=1))])
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
            rewards = executor.submit(async_grpo_rollout_child, payload, self.service.url, groups).result(timeout=120)
        self.assertEqual(rewards, [[1.0, 0.0, 1.0, 1.0]] * 8)


def async_grpo_rollout_child(pickled_reward_funcs: bytes, url: str, groups: List[Dict[str, Any]]) -> List[List[Any]]:
    """TRL's experimental AsyncGRPOTrainer in its spawned rollout process: the reward funcs arrive pickled;
    _score_group calls each sync one through asyncio.to_thread with the group's completions (message lists
    ending in the last assistant turn), prompts, completion_ids and the dataset columns repeated per
    generation; groups finish, and are scored, concurrently."""
    import pickle

    os.environ["RLAR_URL"] = url
    reward_funcs = pickle.loads(pickled_reward_funcs)

    async def score_group(group: Dict[str, Any]) -> List[Any]:
        kwargs = dict(completions=group["completions"], prompts=group["prompts"], completion_ids=[[1]] * len(group["prompts"]), **group["reward_kwargs"])
        (rewards,) = await asyncio.gather(*[asyncio.to_thread(func, **kwargs) for func in reward_funcs])
        return rewards

    async def score_all() -> List[List[Any]]:
        return await asyncio.gather(*[score_group(g) for g in groups])

    return asyncio.run(score_all())


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# Facts from the trainers' newest source (read, not copied): the reward loop's registered managers
# (verl/experimental/reward_loop/reward_manager/__init__.py) and OpenRLHF 0.11's train_ppo_ray flags.
VERL_REWARD_LOOP_MANAGERS = {"naive", "dapo", "rate_limited", "remote"}
VERL_LEGACY_MANAGERS = {"naive", "dapo", "batch", "prime", "rate_limited"}
OPENRLHF_FLAGS = {
    "--actor.model_name_or_path", "--data.prompt_dataset", "--data.input_key", "--data.label_key",
    "--data.apply_chat_template", "--reward.remote_url", "--algo.advantage.estimator", "--rollout.n_samples_per_prompt",
}


def yaml_value(text: str, key: str) -> str:
    import re

    match = re.search(rf"^\s*{key}:\s*([^#\s]+)", text, re.M)
    assert match, key
    return match.group(1)


class ExampleTests(unittest.TestCase):
    def test_verl_examples_name_managers_and_functions_that_fit(self) -> None:
        import inspect

        module = importlib.import_module("rlar_client.verl")
        loop = (EXAMPLES / "verl_reward_loop.yaml").read_text()
        self.assertEqual(yaml_value(loop, "use_reward_loop"), "true")
        self.assertIn(yaml_value(loop, "reward_manager"), VERL_REWARD_LOOP_MANAGERS)
        self.assertTrue(inspect.iscoroutinefunction(getattr(module, yaml_value(loop, "name"))))
        self.assertEqual(yaml_value(loop, "path"), "pkg://rlar_client.verl")
        legacy = (EXAMPLES / "verl_reward.yaml").read_text()
        self.assertEqual(yaml_value(legacy, "use_reward_loop"), "false")
        self.assertEqual(yaml_value(legacy, "reward_manager"), "batch")
        self.assertIn("batch", VERL_LEGACY_MANAGERS)
        batch = inspect.signature(getattr(module, yaml_value(legacy, "name"))).parameters
        self.assertEqual(list(batch)[:4], ["data_sources", "solution_strs", "ground_truths", "extra_infos"])

    def test_openrlhf_and_slime_examples_use_current_flags(self) -> None:
        import re

        script = (EXAMPLES / "openrlhf.sh").read_text()
        command = script.split("python3 -m openrlhf.cli.train_ppo_ray", 1)[1].split('"$@"')[0]
        flags = set(re.findall(r"(?<![\w-])--[a-z_.]+", command))
        self.assertIn("--reward.remote_url", flags)
        self.assertEqual(flags - OPENRLHF_FLAGS, set())
        slime = (EXAMPLES / "slime.sh").read_text()
        self.assertIn('--rm-type remote_rm --rm-url "${RM_URL}?format=number"', slime)


class SilentModel:
    """A reward-model endpoint that never answers: the request deadline passes while it is asked."""

    def __init__(self) -> None:
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                release.wait(60)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class LimitsTests(unittest.TestCase):
    def tearDown(self) -> None:
        client_module._default = None

    def test_a_deadline_keeps_the_scored_items_in_every_adapter(self) -> None:
        from rlar_client.trl import RlarReward
        from rlar_client.verl import compute_score_batch

        model = SilentModel()
        service = Service({"RLAR_RM_URL": model.url, "RLAR_RM_PROTOCOL": "tei", "RLAR_REQUEST_TIMEOUT_MS": "2500"})
        try:
            client_module._default = RlarClient(url=service.url, retries=0)
            choice = {"prompt": "Pick one:\nA) red\nB) blue", "response": "The answer is (B).", "reference": "B"}
            for _ in range(20):  # warm the worker threads up: the deadline below is the silent model's
                if not client_module._default.score([choice])[0].get("unscored"):
                    break
            scores = compute_score_batch(
                data_sources=["mmlu", "chat"], solution_strs=["The answer is (B).", "Rain on the roof."], ground_truths=["B", None], extra_infos=[{"question": choice["prompt"]}, {"question": "Write a haiku."}]
            )
            self.assertEqual([s["score"] for s in scores], [1.0, 0.0])
            self.assertEqual([s["rlar_unscored"] for s in scores], [0.0, 1.0])
            rewards = RlarReward()(prompts=[choice["prompt"], "Write a haiku."], completions=["The answer is (B).", "Rain."], answer=["B", None])
            self.assertEqual(rewards, [1.0, None])
        finally:
            service.stop()
            model.stop()

    def test_the_service_answers_before_the_client_gives_up(self) -> None:
        # The service's deadline is 300 s, the client waits 4 s and says so: the scored item comes back,
        # the silent model's item unscored, instead of a timeout that loses both.
        model = SilentModel()
        service = Service({"RLAR_RM_URL": model.url, "RLAR_RM_PROTOCOL": "tei", "RLAR_REQUEST_TIMEOUT_MS": "300000"})
        try:
            client = RlarClient(url=service.url, retries=0, timeout=4.0)
            choice = {"prompt": "Pick one:\nA) red\nB) blue", "response": "The answer is (B).", "reference": "B"}
            for _ in range(20):  # warm the worker threads up: the deadline below is the silent model's
                if not client.score([choice])[0].get("unscored"):
                    break
            results = client.score([choice, {"prompt": "Write a haiku.", "response": "Rain on the roof."}])
            self.assertEqual([r["reward"] for r in results], [1.0, 0.0])
            self.assertEqual([bool(r.get("unscored")) for r in results], [False, True])
        finally:
            service.stop()
            model.stop()

    def test_a_batch_over_the_body_limit_is_split_and_a_single_item_refused_clearly(self) -> None:
        service = Service({"RLAR_BODY_LIMIT_MB": "1"})
        try:
            # The client believes the limit is 8 MB: the service refuses (413 or a closed connection), the client splits.
            client = CountingClient(url=service.url, retries=0, max_body_mb=8)
            text = "word " * 30_000  # 150 KB: 300 KB per item (response and reference)
            items = [{"prompt": "Repeat.", "response": text, "reference": text, "task": "squad"} for _ in range(6)]
            results = client.score(items)
            self.assertEqual([r["reward"] for r in results], [1] * 6)
            self.assertGreater(client.posts, 1)
            with self.assertRaises(RlarError) as caught:
                client.score([{"prompt": "p", "response": "x" * 3_000_000}])
            self.assertEqual(caught.exception.status, 413)
            self.assertIn("one item alone is over the service's body limit", str(caught.exception))
            # Told the limit, the client packs its requests below it in the first place.
            sized = CountingClient(url=service.url, retries=0, max_body_mb=1)
            self.assertEqual([r["reward"] for r in sized.score(items)], [1] * 6)
            self.assertEqual(sized.posts, 2)
        finally:
            service.stop()

    def test_open_ended_items_abstain_when_asked(self) -> None:
        from rlar_client.trl import RlarReward
        from rlar_client.verl import compute_score

        service = Service({"RLAR_OPEN_ENDED": "abstain"})
        try:
            client_module._default = RlarClient(url=service.url, retries=0)
            self.assertEqual(RlarReward()(prompts=["Write a haiku."], completions=["ok"]), [None])
            self.assertEqual(compute_score("chat", "ok", None, {"question": "Write a haiku."}), {"score": 0.0, "rlar_error": 0.0, "rlar_unscored": 0.0, "rlar_format_only": 1.0})
        finally:
            service.stop()


if __name__ == "__main__":
    unittest.main()
