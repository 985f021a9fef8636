#!/usr/bin/env bash
# slime (checked against main of August 2026): one {"prompt","response","label"} per call; slime takes
# the JSON answer as the reward. Start the service first: npx rlar serve
set -euo pipefail
RM_URL="${RLAR_URL:-http://127.0.0.1:8000}/reward"
# The bare number as the answer: stock slime, no other flag.
RM_ARGS=(--rm-type remote_rm --rm-url "${RM_URL}?format=number")
# Or the item's whole result ({"reward", "signature", "components", "detail", ...}) and the key to read:
#   RM_ARGS=(--rm-type remote_rm --rm-url "${RM_URL}" --reward-key reward)
python3 train.py "${RM_ARGS[@]}" "$@"   # with your model, data and cluster arguments
