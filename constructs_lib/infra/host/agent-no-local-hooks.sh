#!/usr/bin/env bash
# The agent runs no hooks of the checked-out repository.
#
# A checkout's .buildkite/hooks/ (post-checkout, pre-command, ...) are run by
# the agent on the host, as the agent's user, before any container starts:
# for a fork's PR that is the fork's code on the host, with whatever the
# agent can read (on the bootstrap queue, the key that signs pipelines). The
# agent's own hooks (the toolkit's AMIs, the TPU hosts) are not affected.
#
# Run as root by every Elastic CI Stack instance at boot (BootstrapScriptUrl),
# after the stack wrote the agent's configuration and before the agent
# starts; safe to run again. ROOT prefixes the file it edits (tests).
set -euo pipefail

readonly CONFIG="${ROOT:-}/etc/buildkite-agent/buildkite-agent.cfg"

if [[ ! -f $CONFIG ]]; then
  echo "agent-no-local-hooks: $CONFIG does not exist" >&2
  exit 1
fi
sed -i '/^[[:space:]]*no-local-hooks[[:space:]]*=/d' "$CONFIG"
printf 'no-local-hooks=true\n' >>"$CONFIG"
