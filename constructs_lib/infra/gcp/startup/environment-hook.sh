#!/bin/bash
# Buildkite agent environment hook, written by the TPU agent boot script.
# Gives each job the HF token, read from a file that only root and the
# agent's group can read; the token itself is never written into this hook
# (nor into /etc/environment). A build that is not trusted (a PR from a fork,
# or from an unknown repository) gets no token: its code runs in the job.
set -euo pipefail

# The rule of trusted builds (constructs_lib/queues/trust.sh), rendered here whole.
@@TRUST_DEFINITION@@

hf_token_file=@@HF_TOKEN_FILE@@
if ! ci_trust_build; then
  unset HF_TOKEN
  echo "~~~ HF token: not given to a PR from another repository" >&2
elif [[ -r $hf_token_file ]]; then
  HF_TOKEN=$(<"$hf_token_file")
  export HF_TOKEN
fi
