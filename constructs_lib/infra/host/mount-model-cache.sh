#!/usr/bin/env bash
# The shared model cache: the region's EFS file system, mounted where the
# queue's runner keeps HF_HOME (constructs_lib/queues/model_cache.py says
# where), so that every host of every queue that uses it reads models the
# others downloaded instead of fetching them from the Hub again.
#
# MODEL_CACHE_FS (fs-...), MODEL_CACHE_REGION and MODEL_CACHE_PATH are set
# before this script runs (HostScripts writes them above it). NFS 4.1 as AWS
# recommends for EFS, through the region's DNS name of the file system; the
# fstab entry mounts it again after a reboot. Trusted jobs read and write it;
# containers of untrusted builds get it read-only (the runner's volumes).
# Run as root at boot; safe to run again. ROOT prefixes the files it writes (tests).
set -euo pipefail
: "${MODEL_CACHE_FS:?}" "${MODEL_CACHE_REGION:?}" "${MODEL_CACHE_PATH:?}"

readonly SOURCE="$MODEL_CACHE_FS.efs.$MODEL_CACHE_REGION.amazonaws.com:/"
readonly OPTIONS="nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev"
readonly FSTAB="${ROOT:-}/etc/fstab"

# The NFS client: on the Elastic CI Stack's and the toolkit's Amazon Linux images, else installed once.
if ! command -v mount.nfs4 >/dev/null 2>&1; then
  dnf install -y nfs-utils || yum install -y nfs-utils || { apt-get update && apt-get install -y nfs-common; }
fi
install -d -m 0755 "${ROOT:-}$MODEL_CACHE_PATH"
if ! grep -qsF " $MODEL_CACHE_PATH nfs4 " "$FSTAB"; then
  printf '%s %s nfs4 %s 0 0\n' "$SOURCE" "$MODEL_CACHE_PATH" "$OPTIONS" >>"$FSTAB"
fi
if ! mountpoint -q "$MODEL_CACHE_PATH"; then
  # A new file system's mount targets can take a minute to answer.
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if mount "$MODEL_CACHE_PATH"; then
      break
    fi
    if [ "$attempt" = 10 ]; then
      echo "model cache: $SOURCE could not be mounted on $MODEL_CACHE_PATH; jobs download models themselves" >&2
      exit 0
    fi
    sleep 15
  done
fi
# Jobs run as root or as other users in their containers: all may write (trusted ones: untrusted mount it read-only).
chmod 0777 "${ROOT:-}$MODEL_CACHE_PATH"
