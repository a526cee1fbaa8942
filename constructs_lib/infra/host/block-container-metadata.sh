#!/usr/bin/env bash
# Containers reach no instance metadata service.
#
# On AWS the Elastic CI Stack lets a container on a docker network reach the
# instance metadata service (its hop limit is 2), and on GCP every container
# reaches the metadata server: either hands out the host's credentials (the
# queue's instance role, the TPU agents' service account) to whatever code
# the job runs. This rule rejects traffic from containers to 169.254.169.254
# in docker's DOCKER-USER chain; the host itself, and so the agent and its
# hooks, keep their access. A systemd drop-in re-applies it at every start
# of docker, which rebuilds its chains.
#
# Run as root by the toolkit's AMI build (scripts/ami) and by the TPU hosts'
# boot script; safe to run again. ROOT prefixes the files it writes (tests).
set -euo pipefail

readonly RULE="DOCKER-USER -d 169.254.169.254/32 -j REJECT"
readonly DROP_IN="${ROOT:-}/etc/systemd/system/docker.service.d/50-block-container-metadata.conf"

install -d -m 0755 "$(dirname "$DROP_IN")"
{
  printf '# buildkite-ci-toolkit: containers reach no instance metadata service.\n'
  printf '[Service]\n'
  printf "ExecStartPost=/bin/sh -c 'iptables -w -N DOCKER-USER 2>/dev/null || true; iptables -w -C %s 2>/dev/null || iptables -w -I %s'\n" "$RULE" "$RULE"
} >"$DROP_IN.new"
mv -f "$DROP_IN.new" "$DROP_IN"
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi

iptables -w -N DOCKER-USER 2>/dev/null || true
# shellcheck disable=SC2086  # RULE is words: the chain, then the match and the target
iptables -w -C $RULE 2>/dev/null || iptables -w -I $RULE
