#!/usr/bin/env bash
# Containers reach no instance metadata service, and no NFS server.
#
# On AWS the Elastic CI Stack lets a container on a docker network reach the
# instance metadata service (its hop limit is 2), and on GCP every container
# reaches the metadata server: either hands out the host's credentials (the
# queue's instance role, the TPU agents' service account) to whatever code
# the job runs. The shared model cache (EFS) accepts NFS from the agents'
# security group, and a container's traffic leaves with its host's address:
# a user-space NFS client in a fork's test could write the cache that
# trusted jobs read, past the read-only volume it was given. These rules
# reject traffic from containers to 169.254.169.254 and to NFS (TCP 2049) in
# docker's DOCKER-USER chain; the host itself, and so the agent, its hooks
# and the model cache's mount, keep their access. A systemd drop-in
# re-applies them at every start of docker, which rebuilds its chains.
#
# Run as root by the toolkit's AMI build (scripts/ami), by every Elastic CI
# Stack instance at boot (BootstrapScriptUrl) and by the TPU hosts' boot
# script; safe to run again. ROOT prefixes the files it writes (tests).
set -euo pipefail

readonly RULES=(
  "DOCKER-USER -d 169.254.169.254/32 -j REJECT"
  "DOCKER-USER -p tcp --dport 2049 -j REJECT"
)
readonly DROP_IN="${ROOT:-}/etc/systemd/system/docker.service.d/50-block-container-metadata.conf"

reapply="iptables -w -N DOCKER-USER 2>/dev/null || true"
for rule in "${RULES[@]}"; do
  reapply="$reapply; iptables -w -C $rule 2>/dev/null || iptables -w -I $rule"
done
install -d -m 0755 "$(dirname "$DROP_IN")"
{
  printf '# buildkite-ci-toolkit: containers reach no instance metadata service and no NFS server.\n'
  printf '[Service]\n'
  printf "ExecStartPost=/bin/sh -c '%s'\n" "$reapply"
} >"$DROP_IN.new"
mv -f "$DROP_IN.new" "$DROP_IN"
if command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi

iptables -w -N DOCKER-USER 2>/dev/null || true
for rule in "${RULES[@]}"; do
  # shellcheck disable=SC2086  # a rule is words: the chain, then the match and the target
  iptables -w -C $rule 2>/dev/null || iptables -w -I $rule
done
