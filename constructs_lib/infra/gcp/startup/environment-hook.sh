#!/bin/bash
# Buildkite agent environment hook, written by the TPU agent boot script.
# Gives each job the HF token, read from a file that only root and the
# agent's group can read; the token itself is never written into this hook
# (nor into /etc/environment).
set -euo pipefail

hf_token_file=@@HF_TOKEN_FILE@@
if [[ -r $hf_token_file ]]; then
  HF_TOKEN=$(<"$hf_token_file")
  export HF_TOKEN
fi
