#!/usr/bin/env bash
# OpenRLHF (checked against 0.11): the service speaks OpenRLHF's remote reward protocol
# ({"query","prompts","labels"} -> {"rewards","scores","extra_logs"}), so point the trainer at it.
# Start the service first: npx rlar serve   (or REDIS_URL=... for a cluster)
# Queries arrive decoded with their special tokens (<|im_end|>, ...): the service cuts them, and finds
# the response after a prompt OpenRLHF truncated on the left. Labels may be any JSON value.
set -euo pipefail
python3 -m openrlhf.cli.train_ppo_ray \
  --actor.model_name_or_path Qwen/Qwen2.5-1.5B-Instruct \
  --data.prompt_dataset your/dataset --data.input_key question --data.label_key answer \
  --data.apply_chat_template \
  --reward.remote_url "${RLAR_URL:-http://127.0.0.1:8000}/reward" \
  --algo.advantage.estimator group_norm --rollout.n_samples_per_prompt 8 \
  "$@"
# OpenRLHF before the dotted flags: --pretrain, --prompt_data, --input_key, --label_key,
#   --apply_chat_template, --remote_rm_url "${RLAR_URL:-http://127.0.0.1:8000}/reward"
# In-process alternative (a reward_func file):
#   --reward.remote_url "$(python3 -c 'import rlar_client.openrlhf as m; print(m.__file__)')"
