"""How a job runs in the CI image on its queue: the docker or kubernetes plugin's settings.

A queue's runner comes from queues.yaml (`runner:`, or a named entry of
`runners:`); a queue that declares none runs with the toolkit's defaults for
its hosting. What a container gets is explicit: the variables it is given by
value, the job's variables it gets by name (never the whole environment),
secrets only in trusted builds, HF_TOKEN only where render.hf_token_allowed
says. Pure.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from typing import Any, Optional

from constructs_lib.bootstrap.profile import NativeRecipe
from constructs_lib.queues.hostings import kind_of
from constructs_lib.queues.model import HF_TOKEN, Queue, QueuesFile, Runner

DOCKER_PLUGIN = "docker#v5.2.0"
KUBERNETES_PLUGIN = "kubernetes"
HF_HOME = "/root/.cache/huggingface"
HF_TOKEN_SECRET = "hf-token-secret"  # Kubernetes secret with key `token`
# What a container gets of the job's environment, by name: never the whole of
# it (propagate-environment would hand every agent and job variable to the
# tested code). A step's own `env` names are added, and HF_TOKEN where allowed.
JOB_VARIABLES = (
    "BUILDKITE_BRANCH",
    "BUILDKITE_BUILD_NUMBER",
    "BUILDKITE_COMMIT",
    "BUILDKITE_JOB_ID",
    "BUILDKITE_LABEL",
    "BUILDKITE_PARALLEL_JOB",
    "BUILDKITE_PARALLEL_JOB_COUNT",
    "BUILDKITE_PIPELINE_SLUG",
    "BUILDKITE_PULL_REQUEST",
    "BUILDKITE_STEP_KEY",
    # The build's identity, which test collectors (buildkite-test-collector) and tracing read: none is a secret.
    "BUILDKITE",
    "BUILDKITE_BUILD_ID",
    "BUILDKITE_BUILD_URL",
    "BUILDKITE_MESSAGE",
    "BUILDKITE_ORGANIZATION_SLUG",
    "BUILDKITE_RETRY_COUNT",
    "BUILDKITE_STEP_ID",
)
# A MIG slice: the agent is started with its slice in these variables, and
# the container needs the control device besides (vLLM's h200_18gb runner).
PARTITION_VARIABLES = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")
PARTITION_VOLUMES = ("/dev/nvidiactl:/dev/nvidiactl",)
SHM = "/dev/shm"

# The runners of queues that declare none: docker with the HF cache in the
# container's home, or pods with the same cache on the node.
# Constants of ours, not input: constructed without building a validator at start-up.
DEFAULT_DOCKER = Runner.model_construct(
    plugin="docker", hf_home=HF_HOME, volumes=[f"{SHM}:{SHM}", f"{HF_HOME}:{HF_HOME}"]
)
DEFAULT_KUBERNETES = Runner.model_construct(plugin="kubernetes", hf_home=HF_HOME, volumes=[f"{HF_HOME}:{HF_HOME}"])
UNTRUSTED_HF_HOME = "/tmp/huggingface"


@dataclasses.dataclass(frozen=True)
class Container:
    """One job's container: what runs, in which image, with what it may see."""

    script: str  # the bash script of the job
    image: str  # the CI image (or its variant) by its registry name
    gpu_count: int  # accelerators the job asks for on one host
    trusted: bool  # constructs_lib.queues.trust: secrets, the agent and writable shared mounts only then
    hf_token: bool  # HF_TOKEN may be passed
    # The step's env: a trusted build's container gets it by name from the job, an
    # untrusted build's by value, never by name (an agent hook may have put a secret under any name).
    values: tuple[tuple[str, str], ...] = ()
    # The variables every container of the repository gets (its profile's), before the runner's.
    defaults: tuple[tuple[str, str], ...] = ()
    mount_agent: bool = False  # the step asks for the agent in its container (trusted builds only)


def runner_of(model: QueuesFile, queue_name: str) -> Runner:
    declared = model.runner_of(queue_name)
    if declared is not None:
        return declared
    return DEFAULT_KUBERNETES if kind_of(model.queues[queue_name]).default_plugin == "kubernetes" else DEFAULT_DOCKER


def gpu_exposure(runner: Runner, queue: Queue) -> str:
    """all, count, partition, runtime or none: how the queue's GPUs reach a container."""
    if runner.gpus is not None:
        return runner.gpus
    if queue.accelerator is None:
        return "none"
    if runner.plugin == "kubernetes":
        return "count"
    return "partition" if queue.accelerator.partition else "all"


def image_for(runner: Runner, image: str) -> str:
    """The image as this runner pulls it: through its pull-through cache, when it has one."""
    if runner.pull_through_cache is None or "/" not in image:
        return image
    return f"{runner.pull_through_cache}/{image.split('/', 1)[1]}"


def plugin(model: QueuesFile, queue_name: str, container: Container) -> dict[str, Any]:
    """The plugins entry of a container job on `queue_name`."""
    runner = runner_of(model, queue_name)
    queue = model.queues[queue_name]
    exposure = gpu_exposure(runner, queue)
    if runner.plugin == "kubernetes":
        return {KUBERNETES_PLUGIN: _kubernetes(runner, exposure, container, _gke_selector(queue_name, model))}
    return {DOCKER_PLUGIN: _docker(runner, exposure, container)}


def _set_values(runner: Runner, container: Container) -> dict[str, str]:
    values = dict(container.defaults)
    if runner.hf_home is not None:
        values["HF_HOME"] = runner.hf_home
    values.update(runner.environment)
    return values


def _docker(runner: Runner, exposure: str, container: Container) -> dict[str, Any]:
    own = {name for name, _ in container.values} if container.trusted else set()  # untrusted: by value below
    by_name = set(JOB_VARIABLES) | own | set(runner.pass_environment)
    if runner.hf_home is None:
        by_name.add("HF_HOME")  # the agent's own cache
    volumes = _volumes(runner, container.trusted)
    if exposure == "partition":
        by_name.update(PARTITION_VARIABLES)
        volumes += [v for v in PARTITION_VOLUMES if v not in volumes]
    set_values = _set_values(runner, container)
    if not container.trusted:
        set_values.update(container.values)
        by_name -= set(dict(container.values))
    names = sorted(by_name - set(set_values))
    names += [n for n in runner.secrets if container.trusted and n not in by_name]
    names += [HF_TOKEN] if container.hf_token else []
    options: dict[str, Any] = {
        "image": image_for(runner, container.image),
        "always-pull": True,
        "command": ["bash", "-xec", _untrusted_prelude(container) + container.script],
        "environment": [f"{k}={v}" for k, v in set_values.items()] + names,
        "volumes": volumes,
    }
    if exposure == "all":
        options["gpus"] = "all"
    if container.trusted:
        if runner.mount_buildkite_agent or container.mount_agent:
            options["mount-buildkite-agent"] = True
    else:
        # Neither the agent (its token uploads steps to any queue) nor the
        # host's checkout (its .git is what the next job's checkout runs):
        # the tests run from the image.
        options["mount-buildkite-agent"] = False
        options["mount-checkout"] = False
    return options


# Where a host keeps its daemons' sockets (the container runtime's among them).
_RUNTIME_FOLDERS = ("/run", "/var/run")


def _reaches_runtime(path: str) -> bool:
    """A socket, or a folder that is, holds or lies in the host's runtime folders: a mount of it reaches the daemons.

    A read-only mount does not help: a socket on it still connects.
    """
    path = posixpath.normpath(path)
    if path.endswith(".sock"):
        return True
    inside = path.rstrip("/") + "/"
    return any(
        path == folder or path.startswith(folder + "/") or folder.startswith(inside) for folder in _RUNTIME_FOLDERS
    )


def host_mounts(runner: Runner, trusted: bool) -> list[tuple[str, str, bool]]:
    """(host path, container path, read-only) of the runner's volumes as a build may have them.

    An untrusted build gets them read-only (nothing it writes reaches a trusted
    job), except the job's own memory and devices, and never a way to the
    host's daemons.
    """
    out = []
    for volume in runner.volumes:
        host, _, inside = volume.partition(":")
        if trusted:
            out.append((host, inside, False))
        elif not (_reaches_runtime(host) or _reaches_runtime(inside)):
            out.append((host, inside, not (inside == SHM or host.startswith("/dev/"))))
    return out


def _volumes(runner: Runner, trusted: bool) -> list[str]:
    return [
        f"{host}:{inside}:ro" if read_only else f"{host}:{inside}"
        for host, inside, read_only in host_mounts(runner, trusted)
    ]


# An untrusted container's HF_HOME: its own, inside the container, made a tree
# of links to the shared cache (mounted read-only), so it reads what trusted
# jobs cached and its own downloads never reach them. Constant text: no value
# of the build is in it.
UNTRUSTED_PRELUDE = (
    f'if [ -n "${{HF_HOME:-}}" ] && [ -d "$HF_HOME" ]; then mkdir -p {UNTRUSTED_HF_HOME} && '
    f'cp -rs "$HF_HOME"/. {UNTRUSTED_HF_HOME}/ 2>/dev/null || true; fi; export HF_HOME={UNTRUSTED_HF_HOME}\n'
)


def _untrusted_prelude(container: Container) -> str:
    return "" if container.trusted else UNTRUSTED_PRELUDE


_VOLUME_NAME = re.compile(r"[^a-z0-9-]+")


def _volume_name(host: str, inside: str, runner: Runner) -> str:
    """A pod volume's name: hf-cache for the HF cache, else from the host path (/mnt/shared: shared)."""
    if inside == runner.hf_home:
        return "hf-cache"
    base = _VOLUME_NAME.sub("-", posixpath.basename(host.rstrip("/")).lower()).strip("-")
    return base[:63] or "host"


def _kubernetes(
    runner: Runner, exposure: str, container: Container, gke_selector: Optional[dict[str, Any]]
) -> dict[str, Any]:
    pod_fields = runner.pod
    set_values = _set_values(runner, container)
    if not container.trusted:
        set_values.update(container.values)
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in set_values.items()]
    if container.hf_token:
        env.append({"name": HF_TOKEN, "valueFrom": {"secretKeyRef": {"name": HF_TOKEN_SECRET, "key": "token"}}})
    if container.trusted and pod_fields is not None:
        for name, ref in pod_fields.secrets.items():
            key_ref: dict[str, Any] = {"name": ref.secret, "key": ref.key}
            if ref.optional:
                key_ref["optional"] = True
            env.append({"name": name, "valueFrom": {"secretKeyRef": key_ref}})
    mounts = [{"name": "devshm", "mountPath": SHM}]
    volumes: list[dict[str, Any]] = [{"name": "devshm", "emptyDir": {"medium": "Memory"}}]
    taken = {"devshm"}
    for host, inside, read_only in host_mounts(runner, container.trusted):
        if inside == SHM:
            continue  # /dev/shm is the pod's own memory-backed volume
        name = base = _volume_name(host, inside, runner)
        for n in range(2, len(runner.volumes) + 2):
            if name not in taken:
                break
            name = f"{base[:60]}-{n}"  # /a/cache and /b/cache: cache, cache-2
        taken.add(name)
        mount: dict[str, Any] = {"name": name, "mountPath": inside}
        if read_only:
            mount["readOnly"] = True
        mounts.append(mount)
        volumes.append({"name": name, "hostPath": {"path": host, "type": "DirectoryOrCreate"}})
    spec: dict[str, Any] = {
        "image": image_for(runner, container.image),
        "command": ["bash -xec " + shlex.quote(_untrusted_prelude(container) + container.script)],
        "env": env,
        "volumeMounts": mounts,
    }
    if exposure == "count" and container.gpu_count:
        spec["resources"] = {"limits": {"nvidia.com/gpu": container.gpu_count}}
    if pod_fields is not None and pod_fields.capabilities and container.trusted:
        spec["securityContext"] = {"capabilities": {"add": list(pod_fields.capabilities)}}
    pod: dict[str, Any] = {"containers": [spec], "volumes": volumes}
    selector = (pod_fields.node_selector if pod_fields is not None else None) or gke_selector
    if selector:
        pod["nodeSelector"] = dict(selector)
    if pod_fields is not None:
        if pod_fields.host_network and container.trusted:  # the node's network reaches its metadata server
            pod["hostNetwork"] = True
            pod["dnsPolicy"] = "ClusterFirstWithHostNet"  # cluster DNS still resolves with the node's network
        if pod_fields.image_pull_secrets:
            pod["imagePullSecrets"] = [{"name": name} for name in pod_fields.image_pull_secrets]
        if pod_fields.runtime_class:
            pod["runtimeClassName"] = pod_fields.runtime_class
        if pod_fields.priority_class:
            pod["priorityClassName"] = pod_fields.priority_class
    return {"podSpec": pod}


def _gke_selector(queue_name: str, model: QueuesFile) -> Optional[dict[str, Any]]:
    """The GKE node pool's accelerator, when a pool of the optional cluster serves the queue."""
    gke = model.gcp.gke if model.gcp else None
    for pool in gke.node_pools.values() if gke else ():
        if pool.queue == queue_name and pool.accelerator_type:
            return {"cloud.google.com/gke-accelerator": pool.accelerator_type}
    return None


def native_plugin(native: NativeRecipe, gpus: int) -> dict[str, Any]:
    """The kubernetes plugin of a mirror family's native job: a patch of the pod the queue's agents start.

    The job's container runs the family's image with the GPUs requested from
    the cluster's device plugin (an explicit 0 overrides the agents' default),
    a memory-backed /dev/shm and an empty workspace; it gets no service
    account token, no privilege escalation, and the pod's own name, namespace
    and node as variables.
    """
    count = str(gpus)
    container: dict[str, Any] = {
        "name": "container-0",
        "image": native.image,
        "imagePullPolicy": "Always",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"add": ["IPC_LOCK"]}},
        "resources": {"limits": {native.gpu_resource: count}, "requests": {native.gpu_resource: count}},
        "volumeMounts": [
            {"name": "devshm", "mountPath": SHM},
            {"name": "workspace", "mountPath": native.workspace},
        ],
        "env": [{"name": k, "value": v} for k, v in native.container_env.items()]
        + [{"name": k, "valueFrom": {"fieldRef": {"fieldPath": path}}} for k, path in native.field_env.items()],
    }
    patch: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [
            {"name": "devshm", "emptyDir": {"medium": "Memory", "sizeLimit": native.shm_size}},
            {"name": "workspace", "emptyDir": {}},
        ],
    }
    if native.image_pull_secret:
        patch["imagePullSecrets"] = [{"name": native.image_pull_secret}]
    return {KUBERNETES_PLUGIN: {"podSpecPatch": patch}}
