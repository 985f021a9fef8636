#!/usr/bin/env bash
# OpenRLHF: the service speaks OpenRLHF's remote reward protocol ({"query","prompts","labels"} ->
# {"rewards","scores","extra_logs"}), so point the trainer at it directly.
# Start the service first: npx rlar serve   (or REDIS_URL=... for a cluster)
set -euo pipefail
python -m openrlhf.cli.train_ppo_ray \
  --pretrain Qwen/Qwen2.5-1.5B-Instruct \
  --prompt_data your/dataset --input_key question --label_key answer --apply_chat_template \
  --reward.remote_url "${RLAR_URL:-http://127.0.0.1:8000}/reward" \
  "$@"
# Older OpenRLHF versions: --remote_rm_url "${RLAR_URL:-http://127.0.0.1:8000}/reward"
# In-process alternative: --reward.remote_url "$(python -c 'import rlar_client.openrlhf as m; print(m.__file__)')"
