"""TRL GRPO with rewards from the RLAR service (pip install ./clients/python trl; npx rlar serve).

Run against a local service: RLAR_URL=http://127.0.0.1:8000 python examples/trl_grpo.py
With --dry-run it only scores two completions, without training (no GPU or model download needed).
"""

import sys

from rlar_client.trl import RlarReward

# The reference is read from the first of reference, ground_truth, final_answer, answer, ..., target,
# solution, label present; RlarReward(reference_column="my_column") names another.
reward = RlarReward()

if "--dry-run" in sys.argv:
    prompts = [[{"role": "user", "content": "What is 6 * 7?"}]] * 2
    completions = [[{"role": "assistant", "content": "6 * 7 = \\boxed{42}"}], [{"role": "assistant", "content": "It is 48."}]]
    print(reward(prompts, completions, answer=["42", "42"]))
    sys.exit(0)

from datasets import load_dataset  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

dataset = load_dataset("openai/gsm8k", "main", split="train").map(
    lambda row: {"prompt": [{"role": "user", "content": row["question"]}], "answer": row["answer"], "data_source": "openai/gsm8k"}
)
trainer = GRPOTrainer(
    model="Qwen/Qwen2.5-0.5B-Instruct",
    reward_funcs=[reward],
    args=GRPOConfig(output_dir="grpo-rlar", per_device_train_batch_size=8, num_generations=8),
    train_dataset=dataset,
)
trainer.train()
