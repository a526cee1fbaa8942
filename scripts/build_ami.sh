#!/usr/bin/env bash
# make ami: build one of the toolkit's AMIs and point its SSM parameter at it.
#
#   REGION=us-west-2 KIND=gpu NVIDIA_DRIVER_SHA256=<sha256> scripts/build_ami.sh
#
# The source is the pinned Elastic CI Stack's own AMI in REGION
# (scripts/stack_ami.py); packer builds scripts/ami/ci-images.pkr.hcl with it;
# the new AMI id goes to the SSM parameter aws.images.<KIND> names, which the
# stacks of the queues booting that image read at their next deploy. Needs
# AWS credentials in the environment; packer's own (1.6 or later).
set -euo pipefail

: "${REGION:?set REGION, e.g. us-west-2}" "${KIND:?set KIND: gpu or cpu}"
QUEUES=${QUEUES:-queues.yaml}
read -r -a python <<< "${PYTHON:-python3}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

read -r source_ami stack_version gpu_parameter cpu_parameter < <("${python[@]}" -m scripts.stack_ami --queues "$QUEUES" --region "$REGION")
case "$KIND" in
  gpu) parameter=$gpu_parameter ;;
  cpu) parameter=$cpu_parameter ;;
  *) echo "KIND must be gpu or cpu (got $KIND)" >&2; exit 2 ;;
esac
if [[ "$parameter" == "-" ]]; then
  echo "$QUEUES: aws.images.$KIND is not declared" >&2
  exit 2
fi
if [[ "$KIND" == "gpu" && -z "${NVIDIA_DRIVER_SHA256:-}" ]]; then
  echo "NVIDIA_DRIVER_SHA256 is needed for the gpu image (NVIDIA's redistrib_<version>.json lists it)" >&2
  exit 2
fi

cd "$here/ami"
packer build \
  -var "region=$REGION" -var "kind=$KIND" -var "source_ami=$source_ami" -var "stack_version=$stack_version" \
  -var "nvidia_driver_sha256=${NVIDIA_DRIVER_SHA256:-}" -var "kms_key_id=${KMS_KEY_ID:-}" -var "subnet_id=${SUBNET_ID:-}" \
  ci-images.pkr.hcl
# manifest.json: builds[-1].artifact_id is "<region>:<ami id>".
ami=$("${python[@]}" -c 'import json; print(json.load(open("manifest.json"))["builds"][-1]["artifact_id"].split(":")[1])')
aws ssm put-parameter --region "$REGION" --name "$parameter" --type String --data-type aws:ec2:image --value "$ami" --overwrite
echo "$parameter = $ami (deploy the region's stack to boot it)"
