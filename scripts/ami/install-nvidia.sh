#!/usr/bin/env bash
# Run by packer as root on the pinned Elastic CI Stack AMI (Amazon Linux 2023).
#
# With INSTALL_NVIDIA=true: the NVIDIA driver from NVIDIA's installer, checked
# against its pinned SHA-256 before it runs, and the NVIDIA container toolkit
# from NVIDIA's signed repository, pinned by version, set as docker's default
# runtime (so `docker run` and the docker plugin see the GPUs). Always: the
# HF-token hook, sourced from the agent's environment hook.
set -euo pipefail

: "${INSTALL_NVIDIA:?}" "${HOOK_SOURCE:?}" "${TRUST_SOURCE:?}" "${BLOCK_METADATA_SOURCE:?}"
HOOK_TARGET=/usr/local/lib/buildkite-ci-toolkit/hf-token-environment
AGENT_HOOK=/etc/buildkite-agent/hooks/environment

install_nvidia() {
  : "${NVIDIA_DRIVER_VERSION:?}" "${NVIDIA_DRIVER_SHA256:?}" "${CONTAINER_TOOLKIT_VERSION:?}"
  if [[ ! "$NVIDIA_DRIVER_SHA256" =~ ^[0-9a-f]{64}$ ]]; then
    echo "NVIDIA_DRIVER_SHA256 must be 64 lower-case hex digits" >&2
    exit 1
  fi
  dnf install -y -q "kernel-devel-$(uname -r)" "kernel-modules-extra-$(uname -r)" gcc make
  local installer="/tmp/NVIDIA-Linux-x86_64-${NVIDIA_DRIVER_VERSION}.run"
  curl -fsSL --retry 3 -o "$installer" \
    "https://us.download.nvidia.com/tesla/${NVIDIA_DRIVER_VERSION}/NVIDIA-Linux-x86_64-${NVIDIA_DRIVER_VERSION}.run"
  echo "${NVIDIA_DRIVER_SHA256}  ${installer}" | sha256sum --check --strict -
  sh "$installer" --silent --no-questions --ui=none --disable-nouveau
  rm -f "$installer"

  curl -fsSL --retry 3 -o /etc/yum.repos.d/nvidia-container-toolkit.repo \
    https://nvidia.github.io/libnvidia-container/stable/rpm/nvidia-container-toolkit.repo
  local v=$CONTAINER_TOOLKIT_VERSION
  dnf install -y -q "nvidia-container-toolkit-$v" "nvidia-container-toolkit-base-$v" \
    "libnvidia-container-tools-$v" "libnvidia-container1-$v"
  nvidia-ctk runtime configure --runtime=docker --set-as-default
  systemctl restart docker
  # The build host has a GPU: the image is only kept if the driver loads and docker reaches it.
  nvidia-smi
  docker info --format '{{.DefaultRuntime}}' | grep -qx nvidia
}

install_hook() {
  install -D -m 0644 "$HOOK_SOURCE" "$HOOK_TARGET"
  # The hook sources the one rule of trusted builds from beside itself.
  install -D -m 0644 "$TRUST_SOURCE" "$(dirname "$HOOK_TARGET")/trust.sh"
  if [[ ! -f "$AGENT_HOOK" ]]; then
    install -D -m 0755 /dev/null "$AGENT_HOOK"
    printf '#!/usr/bin/env bash\n' > "$AGENT_HOOK"
  fi
  if ! grep -qF "$HOOK_TARGET" "$AGENT_HOOK"; then
    printf '\n# buildkite-ci-toolkit: the HF token for trusted builds on queues tagged hf-token-secret\nsource %s\n' \
      "$HOOK_TARGET" >> "$AGENT_HOOK"
  fi
}

if [[ "$INSTALL_NVIDIA" == "true" ]]; then
  install_nvidia
fi
install_hook
# Containers reach no instance metadata service (the queue's role credentials).
bash "$BLOCK_METADATA_SOURCE"
