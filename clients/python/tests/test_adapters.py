"""The Python client and the trainer adapters against the real, freshly built service."""

from __future__ import annotations

import json
import sys
import threading
import unittest
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rlar_client import RlarClient, RlarError  # noqa: E402
from rlar_client import client as client_module  # noqa: E402
from rlar_client.openrlhf import reward_func  # noqa: E402
from rlar_client.trl import RlarReward  # noqa: E402
from rlar_client.verl import compute_score, compute_score_batch  # noqa: E402

from service import Service  # noqa: E402

GSM8K_REFERENCE = "Weng earns 12/60 = 0.2 per minute. Working 50 minutes, she earned 0.2 x 50 = 10.\n#### 10"


def post(url: str, body: object) -> tuple:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


class AdapterTests(unittest.TestCase):
    service: Service

    @classmethod
    def setUpClass(cls) -> None:
        cls.service = Service()
        client_module._default = RlarClient(url=cls.service.url, retries=1, backoff=0.05)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.service.stop()
        client_module._default = None

    def test_client_scores_a_batch(self) -> None:
        results = RlarClient(url=self.service.url).score(
            [
                {"prompt": "Earnings?", "response": "She earned #### 10", "reference": GSM8K_REFERENCE, "task": "openai/gsm8k"},
                {"prompt": "Earnings?", "response": "She earned 12.", "reference": GSM8K_REFERENCE, "task": "openai/gsm8k"},
            ]
        )
        self.assertEqual([r["reward"] for r in results], [1, 0])
        self.assertEqual(results[0]["signature"], "math.gsm8k.gsm8k_hash")
        self.assertEqual(RlarClient(url=self.service.url).score([]), [])

    def test_client_names_a_bad_request_without_retrying(self) -> None:
        with self.assertRaises(RlarError) as caught:
            RlarClient(url=self.service.url).post("/reward", {"items": [{"prompt": "x"}]})
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("response", str(caught.exception))

    def test_verl_single_and_batch_keep_a_constant_key_set(self) -> None:
        right = compute_score("openai/gsm8k", "so #### 10", GSM8K_REFERENCE, {"question": "How much did Weng earn?"})
        wrong = compute_score("openai/gsm8k", "so #### 11", GSM8K_REFERENCE)
        self.assertEqual(right, {"score": 1.0, "rlar_error": 0.0, "rlar_unscored": 0.0, "rlar_format_only": 0.0})
        self.assertEqual(wrong["score"], 0.0)
        batch = compute_score_batch(
            data_sources=["openai/gsm8k", "lighteval/MATH", "codecontests"],
            solution_strs=["#### 10", "The answer is $\\boxed{\\frac{1}{2}}$", "```python\nprint(int(input()) * 2)\n```"],
            ground_truths=[GSM8K_REFERENCE, "0.5", json.dumps({"inputs": ["2\n"], "outputs": ["4\n"]})],
            extra_infos=[{"question": "q1"}, {"question": "q2"}, None],
        )
        self.assertEqual([r["score"] for r in batch], [1.0, 1.0, 1.0])
        self.assertEqual({tuple(sorted(r)) for r in [right, wrong, *batch]}, {("rlar_error", "rlar_format_only", "rlar_unscored", "score")})

    def test_openrlhf_reward_func_and_wire_behaviour(self) -> None:
        out = reward_func(["Q: 2+2? A: 4", "Q: 2+2? A: 5"], ["Q: 2+2? A:", "Q: 2+2? A:"], ["4", "4"])
        self.assertEqual(set(out), {"rewards", "scores", "extra_logs"})
        rewards = out["rewards"].tolist() if hasattr(out["rewards"], "tolist") else out["rewards"]
        self.assertEqual(rewards, [1.0, 0.0])
        # OpenRLHF >= 0.9.1: one sample per request, from many actors at once.
        results: list = []
        lock = threading.Lock()

        def one(i: int) -> None:
            status, body = post(self.service.url + "/reward", {"query": [f"Q: {i}+{i}? A: {2 * i}"], "prompts": [f"Q: {i}+{i}? A:"], "labels": [str(2 * i)]})
            with lock:
                results.append((status, body))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 32)
        for status, body in results:
            self.assertEqual(status, 200)
            self.assertEqual(sorted(body), ["extra_logs", "rewards", "scores"])
            self.assertEqual(body["rewards"], [1])
        # A second reward server gets empty lists from OpenRLHF.
        second = Service()
        try:
            status, body = post(second.url + "/reward", {"query": [], "prompts": [], "labels": []})
            self.assertEqual((status, body), (200, {"rewards": [], "scores": [], "extra_logs": {"error": [], "unscored": [], "format_only": [], "prompt_not_found": []}}))
        finally:
            second.stop()

    def test_trl_reward_func_takes_conversational_completions(self) -> None:
        reward = RlarReward()
        self.assertEqual(reward.__name__, "rlar")
        prompts = [[{"role": "user", "content": "What is 3+4?"}], [{"role": "user", "content": "What is 3+4?"}], "Pick: A) x B) y"]
        completions = [
            [{"role": "assistant", "content": "It is \\boxed{7}."}],
            [{"role": "assistant", "content": "It is \\boxed{8}."}],
            "The answer is (B).",
        ]
        self.assertEqual(reward(prompts, completions, answer=["7", "7", "B"]), [1.0, 0.0, 1.0])
        # An item the service cannot score is "not applicable" for TRL.
        self.assertEqual(reward(["Pick one."], ["A"], answer=["no letter here"], task=["cais/mmlu"]), [None])

    def test_adapter_files_load_as_trainers_load_them(self) -> None:
        # verl and OpenRLHF import a reward file by its path, outside any package.
        import importlib.util

        for name in ("verl", "openrlhf", "trl"):
            path = Path(__file__).resolve().parents[1] / "rlar_client" / f"{name}.py"
            spec = importlib.util.spec_from_file_location(f"custom_reward_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        self.assertEqual(module.RlarReward().__name__, "rlar")

    def test_slime_dialect(self) -> None:
        status, body = post(self.service.url + "/reward", {"prompt": "What is 3+4?", "response": "The final answer is 7.", "label": "7"})
        self.assertEqual(status, 200)
        self.assertEqual(body["reward"], 1)


class RetryTests(unittest.TestCase):
    def test_retries_503_and_429_then_succeeds(self) -> None:
        answers = [(503, {}), (429, {}), (200, {"rewards": [0.5], "results": [{"reward": 0.5, "signature": "s", "components": []}]})]
        seen: list = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                seen.append(self.headers.get("authorization"))
                status, body = answers.pop(0)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if status == 429:
                    self.send_header("retry-after", "0")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            client = RlarClient(url=f"http://127.0.0.1:{server.server_address[1]}", api_key="k-1", retries=3, backoff=0.01)
            self.assertEqual(client.rewards([{"prompt": "p", "response": "r"}]), [0.5])
            self.assertEqual(seen, ["Bearer k-1"] * 3)
        finally:
            server.shutdown()
            server.server_close()

    def test_gives_up_on_a_dead_server(self) -> None:
        from service import free_port

        client = RlarClient(url=f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01, timeout=2)
        with self.assertRaises(RlarError) as caught:
            client.score([{"prompt": "p", "response": "r"}])
        self.assertIn("kept failing after 3 tries", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
