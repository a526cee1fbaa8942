#!/bin/bash
# Boot script of one Buildkite agent serving a TPU.
#
# Rendered by constructs_lib/infra/gcp/startup_script.py (the words between double
# at-signs below become shell-quoted values) and run as root at every boot,
# either on the agent host paired with a TPU Node (architecture node) or on a
# TPU VM itself (architecture vm). It
#   - installs buildkite-agent from Buildkite's signed apt repository, after
#     checking that the signing key has the fingerprint pinned below;
#   - makes the persistent SSD data disk Docker's data root, and keeps
#     containers from the metadata server (the agents' service account);
#   - reads the agent token and the HF token from Secret Manager through the
#     instance's service account (which can read those two secrets only) and
#     keeps them in files readable by root and the agent's group only;
#   - hands the HF token to jobs through the agent's environment hook, and the
#     TPU's name and zone through the agent's own environment.
# Every rendered value is a name, never a secret.
set -euo pipefail
umask 022

readonly PROJECT=@@PROJECT@@
readonly QUEUE=@@QUEUE@@
readonly AGENT_NAME=@@AGENT_NAME@@
readonly TPU_NAME=@@TPU_NAME@@
readonly TPU_ZONE=@@TPU_ZONE@@
readonly TPU_ACCELERATOR_TYPE=@@TPU_ACCELERATOR_TYPE@@
readonly TPU_ARCHITECTURE=@@TPU_ARCHITECTURE@@
readonly AGENT_TOKEN_SECRET=@@AGENT_TOKEN_SECRET@@
readonly HF_TOKEN_SECRET=@@HF_TOKEN_SECRET@@
# Signed pipelines (empty: off): the public JWKS the agent verifies every job with, and warn or block.
readonly VERIFICATION_JWKS_SECRET=@@VERIFICATION_JWKS_SECRET@@
readonly VERIFICATION_FAILURE=@@VERIFICATION_FAILURE@@
readonly VERIFICATION_JWKS_FILE=@@VERIFICATION_JWKS_FILE@@
readonly HF_TOKEN_FILE=@@HF_TOKEN_FILE@@
readonly BUILDKITE_KEY_FINGERPRINT=@@BUILDKITE_KEY_FINGERPRINT@@
# Where the data disk may appear, most specific first.
readonly DATA_DISKS=(@@DATA_DISKS@@)

readonly KEYRING=/usr/share/keyrings/buildkite-agent-archive-keyring.gpg
readonly AGENT_DIR=/etc/buildkite-agent
readonly DOCKER_ROOT=/mnt/disks/docker-data
readonly METADATA=http://metadata.google.internal/computeMetadata/v1

log() { echo "buildkite-agent-boot: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@"
}

install_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" 2>/dev/null | grep -qx 'Status: install ok installed' || missing+=("$package")
  done
  if ((${#missing[@]} > 0)); then
    apt_get update
    apt_get install -y --no-install-recommends "${missing[@]}"
  fi
}

metadata_attribute() {
  curl -fsS --retry 5 -H 'Metadata-Flavor: Google' "$METADATA/instance/attributes/$1"
}

# Buildkite's apt signing key, accepted only with the pinned fingerprint.
install_buildkite_key() {
  local workdir key primary
  workdir=$(mktemp -d)
  key="$workdir/buildkite.asc"
  install -d -m 0700 "$workdir/gnupg"
  curl -fsSL --proto '=https' --tlsv1.2 --retry 5 -o "$key" \
    "https://keys.openpgp.org/vks/v1/by-fingerprint/$BUILDKITE_KEY_FINGERPRINT"
  primary=$(GNUPGHOME="$workdir/gnupg" gpg --batch --with-colons --show-keys "$key" |
    awk -F: '$1 == "pub" { want = 1; next } want && $1 == "fpr" { print $10; want = 0 }')
  if [[ $primary != "$BUILDKITE_KEY_FINGERPRINT" ]]; then
    rm -rf "$workdir"
    die "the Buildkite signing key has fingerprint(s) '$primary', expected $BUILDKITE_KEY_FINGERPRINT"
  fi
  GNUPGHOME="$workdir/gnupg" gpg --batch --yes --dearmor -o "$workdir/keyring.gpg" "$key"
  install -m 0644 -o root -g root "$workdir/keyring.gpg" "$KEYRING"
  rm -rf "$workdir"
  printf 'deb [signed-by=%s] https://apt.buildkite.com/buildkite-agent stable main\n' "$KEYRING" \
    >/etc/apt/sources.list.d/buildkite-agent.list
}

find_data_disk() {
  local candidate
  for candidate in "${DATA_DISKS[@]}"; do
    if [[ -b $candidate ]]; then
      readlink -f "$candidate"
      return 0
    fi
  done
  return 1
}

# The persistent SSD becomes Docker's data root; it is formatted only when it
# carries no signature at all (first boot), never otherwise.
mount_data_disk() {
  local device uuid
  device=$(find_data_disk) || die "no data disk found (looked for ${DATA_DISKS[*]})"
  if ! blkid -p "$device" >/dev/null 2>&1; then
    log "formatting $device for $DOCKER_ROOT"
    mkfs.ext4 -q -m 0 -E lazy_itable_init=0,lazy_journal_init=0,discard "$device"
  fi
  uuid=$(blkid -s UUID -o value "$device" || true)
  [[ -n $uuid ]] || die "$device has no filesystem UUID (partitioned or foreign disk?); not touching it"
  install -d -m 0711 "$DOCKER_ROOT"
  if ! grep -q " $DOCKER_ROOT " /etc/fstab; then
    printf 'UUID=%s %s ext4 discard,defaults,nofail 0 2\n' "$uuid" "$DOCKER_ROOT" >>/etc/fstab
  fi
  mountpoint -q "$DOCKER_ROOT" || mount "$DOCKER_ROOT"
}

configure_docker() {
  local config=/etc/docker/daemon.json current='{}'
  install -d -m 0755 /etc/docker
  if [[ -s $config ]]; then
    current=$(<"$config")
  fi
  jq --arg root "$DOCKER_ROOT" '. + {"data-root": $root}' <<<"$current" >"$config.new"
  if cmp -s "$config.new" "$config"; then
    rm -f "$config.new"
  else
    install -m 0644 "$config.new" "$config"
    rm -f "$config.new"
    systemctl restart docker
  fi
  systemctl enable --now docker
  usermod -aG docker buildkite-agent
}

# Prints a secret's latest version; the value never appears in a command line.
read_secret() {
  local name=$1 attempt value
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if value=$(gcloud secrets versions access latest --secret="$name" --project="$PROJECT" --quiet 2>/dev/null); then
      printf '%s' "$value"
      return 0
    fi
    log "cannot read secret $name yet (attempt $attempt of 10)"
    sleep 15
  done
  die "cannot read secret $name of project $PROJECT"
}

# Writes stdin to a file only root and the agent's group can read.
write_private() {
  local target=$1
  (
    umask 077
    cat >"$target.new"
  )
  chown root:buildkite-agent "$target.new"
  chmod 0640 "$target.new"
  mv -f "$target.new" "$target"
}

configure_agent() {
  local token hf_token
  command -v gcloud >/dev/null || die "gcloud is needed to read Secret Manager"
  token=$(read_secret "$AGENT_TOKEN_SECRET")
  [[ $token =~ ^[A-Za-z0-9_-]+$ ]] || die "secret $AGENT_TOKEN_SECRET does not look like an agent token"
  hf_token=$(read_secret "$HF_TOKEN_SECRET")
  install -d -m 0750 -o root -g buildkite-agent "$(dirname "$HF_TOKEN_FILE")"
  printf '%s' "$hf_token" | write_private "$HF_TOKEN_FILE"
  if [[ -n $VERIFICATION_JWKS_SECRET ]]; then
    read_secret "$VERIFICATION_JWKS_SECRET" | write_private "$VERIFICATION_JWKS_FILE"
  fi
  {
    printf 'token="%s"\n' "$token"
    printf 'name="%s"\n' "$AGENT_NAME"
    printf 'tags="queue=%s"\n' "$QUEUE"
    printf 'build-path="/var/lib/buildkite-agent/builds"\n'
    printf 'hooks-path="%s/hooks"\n' "$AGENT_DIR"
    printf 'plugins-path="/var/lib/buildkite-agent/plugins"\n'
    # No hooks of the checked-out repository: a fork's .buildkite/hooks would run on this host.
    printf 'no-local-hooks=true\n'
    if [[ -n $VERIFICATION_JWKS_SECRET ]]; then
      printf 'verification-jwks-file="%s"\n' "$VERIFICATION_JWKS_FILE"
      printf 'verification-failure-behavior="%s"\n' "$VERIFICATION_FAILURE"
    fi
  } | write_private "$AGENT_DIR/buildkite-agent.cfg"

  install -d -m 0755 "$AGENT_DIR/hooks"
  cat >"$AGENT_DIR/hooks/environment.new" <<'HOOK'
@@ENVIRONMENT_HOOK@@
HOOK
  chmod 0755 "$AGENT_DIR/hooks/environment.new"
  mv -f "$AGENT_DIR/hooks/environment.new" "$AGENT_DIR/hooks/environment"
}

# The TPU's name and zone (and a TPU Node's address) in the agent's environment.
configure_tpu_environment() {
  local dropin=/etc/systemd/system/buildkite-agent.service.d tpu_ip=""
  if [[ $TPU_ARCHITECTURE == node ]]; then
    tpu_ip=$(metadata_attribute tpu-ip-address || true)
  fi
  install -d -m 0755 "$dropin"
  {
    printf '[Service]\n'
    printf 'Environment=TPU_NAME=%s\n' "$TPU_NAME"
    printf 'Environment=TPU_ZONE=%s\n' "$TPU_ZONE"
    printf 'Environment=TPU_ACCELERATOR_TYPE=%s\n' "$TPU_ACCELERATOR_TYPE"
    printf 'Environment=TPU_ARCHITECTURE=%s\n' "$TPU_ARCHITECTURE"
    if [[ -n $tpu_ip ]]; then
      printf 'Environment=TPU_IP_ADDRESS=%s\n' "$tpu_ip"
    fi
  } >"$dropin/10-tpu.conf"
  chmod 0644 "$dropin/10-tpu.conf"
}

# Containers reach no metadata server: the rule of
# constructs_lib/infra/host/block-container-metadata.sh, rendered here whole.
block_container_metadata() {
  install_packages iptables
  bash -s <<'RULE'
@@BLOCK_CONTAINER_METADATA@@
RULE
}

main() {
  install_packages ca-certificates curl gnupg jq
  if ! dpkg -s buildkite-agent >/dev/null 2>&1; then
    install_buildkite_key
  fi
  install_packages buildkite-agent
  command -v docker >/dev/null || install_packages docker.io
  mount_data_disk
  configure_docker
  block_container_metadata
  configure_agent
  configure_tpu_environment
  systemctl daemon-reload
  systemctl enable buildkite-agent
  systemctl restart buildkite-agent
  log "agent $AGENT_NAME started for queue $QUEUE"
}

main "$@"
