"""Build the Buildkite pipeline with Buildkite's Python SDK (`buildkite-sdk`).

Each job becomes a command step on its queue, preceded by a block step
`Run <label>` when it does not run now. Jobs in the CI image run through the
docker plugin, or through the kubernetes plugin on Kubernetes-backed queues;
multi-node jobs through the repository's multi-node script; the rest on the
agent itself.
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping, Optional

from constructs_lib.queues.model import Queue, QueuesFile

from constructs_lib.bootstrap import checkout_paths, interpolation
from constructs_lib.bootstrap.jobs import BUILD_LABEL_PREFIX, CONTAINER, MULTI_NODE, Image, Job
from constructs_lib.bootstrap.plan import Plan
from constructs_lib.bootstrap.routing import Route
from constructs_lib.bootstrap.selection import Decision

DOCKER_PLUGIN = "docker#v5.2.0"
KUBERNETES_PLUGIN = "kubernetes"
DEFAULT_WORKING_DIR = "/vllm-workspace/tests"
HF_HOME = "/root/.cache/huggingface"
HF_TOKEN_SECRET = "hf-token-secret"  # Kubernetes secret with key `token`
CONTAINER_ENV = {"VLLM_USAGE_SOURCE": "ci-test", "NCCL_CUMEM_HOST_ENABLE": "0", "HF_HOME": HF_HOME}
# What a container gets of the job's environment, by name: never the whole of
# it (propagate-environment would hand every agent and job variable to the
# tested code). A step's own `env` names are added, and HF_TOKEN where allowed.
JOB_VARIABLES = (
    "BUILDKITE_BRANCH", "BUILDKITE_BUILD_NUMBER", "BUILDKITE_COMMIT", "BUILDKITE_JOB_ID", "BUILDKITE_LABEL",
    "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", "BUILDKITE_PIPELINE_SLUG", "BUILDKITE_PULL_REQUEST",
    "BUILDKITE_STEP_KEY",
)
# Jobs lost with their agent (spot reclaim, scale-in) are retried; tests are not.
LOST_AGENT_RETRIES = (
    {"exit_status": -1, "limit": 1},
    {"exit_status": -10, "limit": 1},
    {"signal_reason": "agent_stop", "limit": 1},
)


def render(
    plan: Plan, image: Image, model: QueuesFile, priority: Optional[int] = None, build: Optional[Mapping[str, str]] = None,
    trusted: bool = True,
) -> dict:
    """The pipeline as a JSON-ready dict, fields in the order a person reads them.

    `build` holds the values of interpolation.BUILD_VARIABLES for this build;
    the pipeline is uploaded without interpolation, so they are resolved here.
    `trusted` is False for a PR from a fork: its containers get no HF_TOKEN
    unless queues.yaml allows it (routing.hf_token_for_fork_prs).
    """
    variables = {**(build or {}), **_variables(image)}
    top: list[Any] = []
    groups: dict[str, list[Any]] = {}
    for job in plan.jobs:
        steps = _steps(job, plan.decisions[job.key], plan.routes[job.key], image, model, variables, priority, trusted)
        if job.group:
            if job.group not in groups:
                groups[job.group] = []
                top.append(job.group)  # where the group stands: at its first job
            groups[job.group].extend(steps)
        else:
            top.extend(steps)
    steps = [{"group": entry, "steps": groups[entry]} if isinstance(entry, str) else entry for entry in top]
    # Not through buildkite-sdk's pydantic models: their union of step types
    # quietly takes a step whose field it refuses for another kind of step and
    # drops fields (a command step with a bad `notify` loses its commands). The
    # whole pipeline is checked against the schema buildkite-sdk ships instead
    # (pipeline_schema), which refuses it, and that check is the one the tests
    # hold to the plain validator.
    return {"steps": [_readable(step) for step in steps]}


_FIRST_FIELDS = ("group", "block", "label", "key", "depends_on", "agents")


# Fields whose mappings are Buildkite's own structures, written with sorted keys
# (plugin settings, env and agent tags keep the order they were given in).
_SORTED_WITHIN = ("retry", "soft_fail", "notify")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _readable(step: Any) -> Any:
    """A step's name first, then the rest alphabetically (as buildkite-sdk writes them)."""
    if not isinstance(step, dict):
        return step
    ordered = {field: step[field] for field in _FIRST_FIELDS if field in step}
    ordered.update((field, step[field]) for field in sorted(step) if field not in ordered)
    for field in _SORTED_WITHIN:
        if field in ordered:
            ordered[field] = _sorted(ordered[field])
    if isinstance(ordered.get("steps"), list):
        ordered["steps"] = [_readable(inner) for inner in ordered["steps"]]
    return ordered


def hf_token_allowed(queue: Queue, model: QueuesFile, trusted: bool) -> bool:
    """Whether the containers of a job on `queue` get HF_TOKEN."""
    if not trusted and not model.routing.hf_token_for_fork_prs:
        return False
    return queue.aws.needs_hf_token if queue.aws is not None else True


def _steps(
    job: Job, decision: Decision, route: Route, image: Image, model: QueuesFile, variables: dict, priority: Optional[int], trusted: bool
) -> list[dict]:
    step = job.step
    label = interpolation.resolve(step.label, variables)
    agents = {"queue": route.queue, **(step.agent_tags or {})}
    command: dict[str, Any] = {"label": label, "key": job.key, "agents": agents}
    blocked = not decision.runs
    out: list[Any] = []
    if blocked:
        block: dict[str, Any] = {"block": f"Run {label}", "key": f"block-{job.key}"}
        if job.depends_on:
            block["depends_on"] = list(job.depends_on)
        out.append(block)
        command["depends_on"] = [f"block-{job.key}"]
    elif job.depends_on:
        command["depends_on"] = list(job.depends_on)
    commands = [_substitute(c, variables) for c in step.commands]
    if job.runner == CONTAINER:
        queue = model.queues[route.queue]
        container_image = job.image or image.name
        hf_token = hf_token_allowed(queue, model, trusted)
        if queue.kubernetes is not None:
            command["plugins"] = [{KUBERNETES_PLUGIN: _kubernetes(job, commands, container_image, route.queue, model, hf_token)}]
        else:
            command["plugins"] = [{DOCKER_PLUGIN: _docker(job, commands, container_image, queue.accelerator is not None, hf_token)}]
    elif job.runner == MULTI_NODE:
        command["commands"] = [_multi_node(job, image, variables)]
    elif job.family is not None and job.family.wrapper and job.parent is not None:
        command["commands"] = [_wrapped(job, commands)]
    else:
        # As the current layout's own generator: builds and multi-node scripts choose their directory.
        if step.working_dir and step.nodes < 2 and not step.label.startswith(BUILD_LABEL_PREFIX):
            commands.insert(0, f"cd {step.working_dir}")
        command["commands"] = commands
    if step.env:
        command["env"] = {k: _data(v, variables) for k, v in step.env.items()}
    if step.soft_fail:
        command["soft_fail"] = step.soft_fail
    if step.timeout:
        command["timeout_in_minutes"] = step.timeout
    if step.parallelism:
        command["parallelism"] = step.parallelism
    if priority:
        command["priority"] = priority
    for field, value in (step.passthrough or {}).items():
        command[field] = _data(value, variables)
    command["retry"] = _retry(step.retry)
    out.append(command)
    return out


def _variables(image: Image) -> dict[str, str]:
    """Variables the current layout's commands use that the generator fills in."""
    return {
        "REGISTRY": image.registry,
        "REPO": image.repository,
        "BRANCH": image.branch,
        "IMAGE_TAG": image.name,
        "IMAGE_TAG_LATEST": image.latest or "",
    }


def _data(value: Any, variables: dict[str, str]) -> Any:
    """A step field's value with its upload-time variables resolved (strings only; not a shell command)."""
    return interpolation.resolve(value, variables) if isinstance(value, str) else value


def _substitute(command: str, variables: dict[str, str]) -> str:
    return interpolation.resolve(command, variables, shell=True)


def _script(job: Job, commands: list[str]) -> str:
    working_dir = job.step.working_dir or DEFAULT_WORKING_DIR
    return "\n".join(["(command nvidia-smi || true)", f"cd {working_dir}", *commands])


def _passed(job: Job, hf_token: bool) -> list[str]:
    """The job's variables a container gets, by name."""
    names = sorted(set(JOB_VARIABLES) | set(job.step.env or ()))
    return names + (["HF_TOKEN"] if hf_token else [])


def _docker(job: Job, commands: list[str], image: str, gpus: bool, hf_token: bool) -> dict:
    options: dict[str, Any] = {
        "image": image,
        "always-pull": True,
        "command": ["bash", "-xec", _script(job, commands)],
        "environment": [f"{k}={v}" for k, v in CONTAINER_ENV.items()] + _passed(job, hf_token),
        "volumes": ["/dev/shm:/dev/shm", f"{HF_HOME}:{HF_HOME}"],
    }
    if gpus:
        options["gpus"] = "all"
    return options


def _kubernetes(job: Job, commands: list[str], image: str, queue_name: str, model: QueuesFile, hf_token: bool) -> dict:
    queue = model.queues[queue_name]
    secret = [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": HF_TOKEN_SECRET, "key": "token"}}}] if hf_token else []
    container: dict[str, Any] = {
        "image": image,
        "command": ["bash -xec " + shlex.quote(_script(job, commands))],
        "env": [{"name": k, "value": v} for k, v in CONTAINER_ENV.items()] + secret,
        "volumeMounts": [{"name": "devshm", "mountPath": "/dev/shm"}, {"name": "hf-cache", "mountPath": HF_HOME}],
    }
    if queue.accelerator is not None and job.needs.count:
        container["resources"] = {"limits": {"nvidia.com/gpu": job.needs.count}}
    pod: dict[str, Any] = {
        "containers": [container],
        "volumes": [
            {"name": "devshm", "emptyDir": {"medium": "Memory"}},
            {"name": "hf-cache", "hostPath": {"path": HF_HOME, "type": "DirectoryOrCreate"}},
        ],
    }
    selector = _node_selector(queue_name, model)
    if selector:
        pod["nodeSelector"] = selector
    return {"podSpec": pod}


def _node_selector(queue_name: str, model: QueuesFile) -> Optional[dict]:
    """The GKE node pool's accelerator, when a pool of the optional cluster serves the queue."""
    gke = model.gcp.gke if model.gcp else None
    for pool in (gke.node_pools.values() if gke else ()):
        if pool.queue == queue_name and pool.accelerator_type:
            return {"cloud.google.com/gke-accelerator": pool.accelerator_type}
    return None


def _multi_node(job: Job, image: Image, variables: dict) -> str:
    step = job.step
    nodes = [" && ".join(_substitute(c, variables) for c in node) for node in step.node_commands or ()]
    if job.multi_node_script is None:
        return checkout_paths.Resolved("multi-node", None).missing_command()
    words = [f"./{job.multi_node_script}", step.working_dir or DEFAULT_WORKING_DIR, str(step.nodes), str(step.count or 1), image.name]
    return " ".join(words + [shlex.quote(node) for node in nodes])


def _wrapped(job: Job, commands: list[str]) -> str:
    working_dir = job.step.working_dir or DEFAULT_WORKING_DIR
    script = " && ".join([f"cd {working_dir}", *commands])
    wrapper = job.family.wrapper if job.family else None
    return f"{wrapper} {shlex.quote(script)}"


def _retry(given: Optional[dict]) -> dict:
    retry = dict(given or {})
    automatic = retry.get("automatic")
    if automatic is True:
        return retry  # Buildkite's default conditions cover lost agents
    rules = list(automatic) if isinstance(automatic, list) else []
    for rule in LOST_AGENT_RETRIES:
        field = "exit_status" if "exit_status" in rule else "signal_reason"
        if not any(r.get(field) == rule[field] for r in rules):
            rules.append(dict(rule))
    retry["automatic"] = rules
    return retry
