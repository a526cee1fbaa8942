# The AMIs of the toolkit's queues. kind=gpu, for the GPU queues: the pinned Elastic CI Stack's own
# AMI plus the NVIDIA driver (pinned by version and SHA-256), the NVIDIA
# container toolkit as docker's default runtime, and the HF-token environment
# hook; kind=cpu, for CPU queues that need the HF token: the hook alone.
# Encrypted, and private: shared with no other account or group.
#
#   make ami REGION=us-west-2 KIND=gpu NVIDIA_DRIVER_SHA256=<sha256 of the .run>
#
# builds it (scripts/build_ami.sh) and writes its id to the SSM parameter the
# GPU queues' stacks read (aws.gpu_image.ssm_parameter). Written for the
# packer Debian ships (1.6, amazon-ebs built in); `make test` validates it.

variable "region" {
  type = string
}

variable "source_ami" {
  type        = string
  description = "The pinned Elastic CI Stack's AMI in this region (scripts/stack_ami.py reads it from the stack template)."
}

variable "stack_version" {
  type        = string
  description = "The Elastic CI Stack version the source AMI belongs to, e.g. v6.71.1."
}

variable "nvidia_driver_version" {
  type    = string
  default = "570.133.20"
}

variable "nvidia_driver_sha256" {
  type        = string
  default     = ""
  description = "SHA-256 of NVIDIA-Linux-x86_64-<version>.run (NVIDIA's redistrib_<version>.json lists it); the gpu image is refused without it."
  validation {
    condition     = var.nvidia_driver_sha256 == "" || (length(var.nvidia_driver_sha256) == 64 && regex_replace(var.nvidia_driver_sha256, "[0-9a-f]", "") == "")
    error_message = "The nvidia_driver_sha256 value must be 64 lower-case hex digits."
  }
}

variable "container_toolkit_version" {
  type    = string
  default = "1.17.8-1"
}

variable "kind" {
  type        = string
  default     = "gpu"
  description = "gpu: with the NVIDIA driver and container toolkit; cpu: the HF-token hook only."
  validation {
    condition     = var.kind == "gpu" || var.kind == "cpu"
    error_message = "The kind value must be gpu or cpu."
  }
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key for the AMI's snapshots; empty: the account's default EBS key."
}

variable "subnet_id" {
  type    = string
  default = ""
}

locals {
  stamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "gpu" {
  region        = var.region
  source_ami    = var.source_ami
  # A GPU host for the GPU image: the driver must load before the image is kept.
  instance_type = var.kind == "gpu" ? "g6.xlarge" : "r6in.large"
  subnet_id     = var.subnet_id
  ssh_username  = "ec2-user"
  ssh_timeout   = "20m"

  ami_name        = "buildkite-ci-${var.kind}-x86_64-${var.stack_version}-${local.stamp}"
  ami_description = "Elastic CI Stack ${var.stack_version}, ${var.kind} image of buildkite-ci-toolkit (NVIDIA driver ${var.nvidia_driver_version} on gpu)"
  encrypt_boot    = true
  kms_key_id      = var.kms_key_id

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 100
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 250
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name          = "buildkite-ci-${var.kind}-x86_64"
    ManagedBy     = "buildkite-ci-toolkit"
    StackVersion  = var.stack_version
    NvidiaDriver  = var.nvidia_driver_version
    SourceAmi     = var.source_ami
  }
}

build {
  sources = ["source.amazon-ebs.gpu"]

  provisioner "file" {
    source      = "hooks/environment"
    destination = "/tmp/hf-token-environment"
  }

  provisioner "file" {
    source      = "../../constructs_lib/queues/trust.sh"
    destination = "/tmp/ci-trust.sh"
  }

  provisioner "file" {
    source      = "../../constructs_lib/infra/host/block-container-metadata.sh"
    destination = "/tmp/block-container-metadata.sh"
  }

  provisioner "shell" {
    script          = "install-nvidia.sh"
    execute_command = "sudo -E bash '{{ .Path }}'"
    environment_vars = [
      "INSTALL_NVIDIA=${var.kind == "gpu"}",
      "NVIDIA_DRIVER_VERSION=${var.nvidia_driver_version}",
      "NVIDIA_DRIVER_SHA256=${var.nvidia_driver_sha256}",
      "CONTAINER_TOOLKIT_VERSION=${var.container_toolkit_version}",
      "HOOK_SOURCE=/tmp/hf-token-environment",
      "TRUST_SOURCE=/tmp/ci-trust.sh",
      "BLOCK_METADATA_SOURCE=/tmp/block-container-metadata.sh",
    ]
  }

  post-processor "manifest" {
    output     = "manifest.json"
    strip_path = true
  }
}
