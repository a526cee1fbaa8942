"""Build the Buildkite pipeline with Buildkite's Python SDK (`buildkite-sdk`).

Each job becomes a command step on its queue, preceded by a block step
`Run <label>` when it does not run now. Jobs in the CI image run through the
docker plugin, or through the kubernetes plugin on Kubernetes-backed queues;
multi-node jobs through the repository's multi-node script; the rest on the
agent itself.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any, Mapping, Optional

from constructs_lib.bootstrap import checkout_paths, interpolation, runners
from constructs_lib.bootstrap.jobs import (
    BUILD_LABEL_PREFIX,
    CONTAINER,
    MULTI_NODE,
    NATIVE,
    TEST,
    UNROUTABLE,
    Image,
    Job,
)
from constructs_lib.bootstrap.plan import Plan
from constructs_lib.bootstrap.profile import Profile
from constructs_lib.bootstrap.registry_login import registry_login
from constructs_lib.bootstrap.routing import Route
from constructs_lib.bootstrap.selection import Decision
from constructs_lib.bootstrap.steps import checkout_artifacts
from constructs_lib.queues.hostings import kind_of
from constructs_lib.queues.model import Queue, QueuesFile

# Jobs lost with their agent (spot reclaim, scale-in) are retried; tests are not. Exit status -1 is also
# what an agent reports when it refuses a job (signal reason signature_rejected, agent_refused, ...): only
# -1 without a signal reason is a lost agent, and a job refused for its signature is never retried.
LOST_AGENT_RETRIES = (
    {"exit_status": -1, "signal_reason": "none", "limit": 1},
    {"exit_status": -10, "limit": 1},
    {"signal_reason": "agent_stop", "limit": 1},
)


@dataclasses.dataclass(frozen=True)
class JobControls:
    """What the build's controls change in every job (vLLM's PRIORITY, CONTINUE_ON_FAILURE and SKIP_TIMEOUT)."""

    priority: Optional[int] = None
    continue_on_failure: bool = False  # every command runs; the job fails at the end if one failed
    skip_timeouts: bool = False  # no job gets a timeout


# The variable a job keeps the outcome of its commands in, under CONTINUE_ON_FAILURE (vLLM's name).
OVERALL_STATUS = "CI_OVERALL_STATUS"


def render(
    plan: Plan,
    image: Image,
    model: QueuesFile,
    controls: JobControls = JobControls(),
    build: Optional[Mapping[str, str]] = None,
    trusted: bool = True,
    *,
    profile: Profile,
    profile_values: Optional[Mapping[str, str]] = None,
) -> dict[str, Any]:
    """The pipeline as a JSON-ready dict, fields in the order a person reads them.

    `build` holds the values of interpolation.BUILD_VARIABLES for this build;
    the pipeline is uploaded without interpolation, so they are resolved here.
    `trusted` is False for an untrusted build (constructs_lib.queues.trust):
    its containers get no agent, no secret and no writable shared mount.
    `profile_values` holds the profile's variables of the bootstrap's
    environment (Profile.bootstrap_variables).
    """
    variables = {**(build or {}), **image_variables(image)}
    top: list[Any] = []
    groups: dict[str, list[Any]] = {}
    for job in plan.jobs:
        steps = _steps(
            job,
            plan.decisions[job.key],
            plan.routes[job.key],
            image,
            model,
            variables,
            controls,
            trusted,
            profile,
            profile_values or {},
        )
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
    if not trusted:
        return False
    return kind_of(queue).hf_token(queue)


def _steps(
    job: Job,
    decision: Decision,
    route: Route,
    image: Image,
    model: QueuesFile,
    variables: dict[str, Any],
    controls: JobControls,
    trusted: bool,
    profile: Profile,
    profile_values: Mapping[str, str],
) -> list[dict[str, Any]]:
    step = job.step
    label = interpolation.resolve(step.label, variables)
    agents = {"queue": route.queue, **(step.tags or {})}
    command: dict[str, Any] = {"label": label, "key": job.key, "agents": agents}
    blocked = not decision.runs
    out: list[Any] = []
    if blocked:
        block: dict[str, Any] = {"block": decision.block or f"Run {label}", "key": f"block-{job.key}"}
        if job.depends_on:
            block["depends_on"] = list(job.depends_on)
        out.append(block)
        command["depends_on"] = [f"block-{job.key}"]
    elif job.depends_on:
        command["depends_on"] = list(job.depends_on)
    commands = [interpolation.shell_text(c) for c in step.flat_commands]
    if job.role != UNROUTABLE:
        commands = _sectioned(commands, profile)
        if controls.continue_on_failure and job.runs_in != MULTI_NODE:
            commands = _continuing(commands)
    queue = model.queues[route.queue]
    family = job.recipe if job.family_test else None
    gpus = 0 if step.no_gpu else (queue.accelerator.count if queue.accelerator else job.needs.count)
    # The step's env, then the family's (a wrapped job's), then the generator's image variables that the commands name.
    env = {k: _data(v, variables) for k, v in (step.env or {}).items()}
    if job.runs_in == CONTAINER:
        shell = [_script(job, commands, profile)]
    elif job.runs_in == MULTI_NODE:
        shell = [_multi_node(job, profile)]
    elif job.wrapped and job.recipe is not None:
        shell = [_wrapped(job, commands, profile.working_dir, env, gpus, profile_values)]
    else:
        shell = _host_commands(job, commands, image)
    own = _own_variables(image, shell)
    env.update(own)
    keyed = profile.keyed_steps.get(job.key)
    if keyed is not None:
        env.update(keyed.env(profile_values))  # data: what decided its timeout, for its script to see
    if job.needs.builder and job.role != UNROUTABLE:
        # Every image build, a tree's own script included, learns its kind of build's caches (image_build.BuildCaches).
        env.update({k: v for k, v in image.caches.env().items() if k not in env})
    if job.runs_in == CONTAINER:
        container = runners.Container(
            script=shell[0],
            # arm64 agents run the arm64 variant (vLLM: the DGX Spark steps).
            image=job.image or (f"{image.name}-arm64" if queue.architecture == "arm64" else image.name),
            gpu_count=job.needs.count,
            values=tuple(env.items()),
            trusted=trusted,
            hf_token=hf_token_allowed(queue, model, trusted),
            defaults=tuple(profile.container_env.items()),
            mount_agent=bool(step.mount_buildkite_agent),
        )
        command["plugins"] = [runners.plugin(model, route.queue, container)]
        if not trusted:
            # The agent runs its hooks and the plugin in the job's environment on
            # the host (BASH_ENV, GIT_CONFIG_*, LD_PRELOAD would run there): an
            # untrusted step's env reaches its container by value, never the job.
            env = own
    else:
        command["commands"] = shell
        if job.runs_in == NATIVE and job.recipe is not None and job.recipe.native is not None:
            command["plugins"] = [runners.native_plugin(job.recipe.native, gpus)]
    if env:
        command["env"] = env
    if step.soft_fail:
        command["soft_fail"] = step.soft_fail
    # The profile's for its key, else the step's own, else its queue's (AMD hosts pull a large image first),
    # else a mirror's parent's; a family's jobs on its build hosts no more than the family's cap.
    timeout = step.timeout_in_minutes or queue.timeout_in_minutes or job.inherited_timeout
    cap = job.recipe.timeout_cap if job.family_test and job.recipe else None
    if job.host_family is not None:
        cap = job.host_family.timeout_cap
    if cap is not None:
        timeout = min(timeout or cap, cap)
    if keyed is not None:
        timeout = keyed.timeout_for(profile_values) or timeout
    if timeout and not controls.skip_timeouts:
        command["timeout_in_minutes"] = timeout
    if step.parallelism:
        command["parallelism"] = step.parallelism
    if family is not None and family.priority is not None:
        command["priority"] = family.priority
    elif controls.priority:
        command["priority"] = controls.priority
    if job.wrapped and family is not None and family.artifact_paths:
        command["artifact_paths"] = list(family.artifact_paths)
    for field, value in (step.passthrough or {}).items():
        if field == "artifact_paths" and not trusted:
            value = checkout_artifacts(value)[0]  # the agent uploads them from the host
            if not value:
                continue
        if field in UNTRUSTED_DROPPED and not trusted:
            continue  # notifications reach the organization's channels: not a fork's to send
        if field == "concurrency_group" and not trusted:
            value = f"{UNTRUSTED_CONCURRENCY_PREFIX}{value}"  # a fork's group never holds up a trusted pipeline's
        value = _data(value, variables)
        if field == "artifact_paths" and "artifact_paths" in command:
            value = command["artifact_paths"] + [v for v in _listed(value) if v not in command["artifact_paths"]]
        command[field] = value
    command["retry"] = _retry(step.retry, _family_retry(job))
    out.append(command)
    return out


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _family_retry(job: Job) -> tuple[Mapping[str, Any], ...]:
    """The retries a mirror family gives its test jobs, or the jobs on its build hosts."""
    if job.family_test and job.recipe is not None:
        return job.recipe.retry
    if job.host_family is not None:
        return job.host_family.host_retry
    return ()


# Step fields an untrusted build's steps do not keep, and the prefix its concurrency groups get.
UNTRUSTED_DROPPED = frozenset({"notify"})
UNTRUSTED_CONCURRENCY_PREFIX = "untrusted/"


def image_variables(image: Image) -> dict[str, str]:
    """Variables the current layout's commands use that the generator fills in."""
    return {
        "REGISTRY": image.registry,
        "REPO": image.repository,
        "BRANCH": image.branch,
        "IMAGE_TAG": image.name,
        "IMAGE_TAG_LATEST": image.latest or "",
        "IMAGE_TAG_TORCH_NIGHTLY": image.torch_nightly,
    }


def _own_variables(image: Image, shell: list[str]) -> dict[str, str]:
    """The generator's image variables that the job's shell text names: step env values."""
    named = frozenset().union(*(interpolation.references(c) for c in shell))
    return {name: value for name, value in image_variables(image).items() if name in named}


def _host_commands(job: Job, commands: list[str], image: Image) -> list[str]:
    """A job's commands on the agent's host: into its working directory, logged in to the registry when it pushes."""
    step = job.step
    out = list(commands)
    # As the current layout's own generator: builds and multi-node scripts choose their directory.
    if step.working_dir and step.num_nodes < 2 and not step.label.startswith(BUILD_LABEL_PREFIX):
        out.insert(0, f"cd {step.working_dir}")
    login = registry_login(image.registry) if job.needs.builder and job.role != UNROUTABLE else None
    if login:
        out.insert(0, login)  # an image build pushes: log in to the registry first
    return out


def _data(value: Any, variables: dict[str, str]) -> Any:
    """A step field's value with its upload-time variables resolved (strings only; not a shell command)."""
    return interpolation.resolve(value, variables) if isinstance(value, str) else value


def _sectioned(commands: list[str], profile: Profile) -> list[str]:
    """Each command after a log section named by its first characters, as the profile writes them (or as given)."""
    form = profile.command_section
    if form is None:
        return commands
    out = []
    for n, command in enumerate(commands, 1):
        # The preview is data in single quotes: no quote, and no `$` for any reader that expands it; one line.
        preview = command[:80].replace("'", "").replace('"', "").replace("$", "").replace("\n", " ")
        out += [f"echo {shlex.quote(form.format(n=n, total=len(commands), preview=preview))}", command]
    return out


def _continuing(commands: list[str]) -> list[str]:
    """Every command runs whatever the one before did; the job then exits as the worst of them (vLLM's form)."""
    kept = [f"{{ {command}\n}} || {OVERALL_STATUS}=1" for command in commands]
    return [f"{OVERALL_STATUS}=0", *kept, f'exit "${OVERALL_STATUS}"']


def _script(job: Job, commands: list[str], profile: Profile) -> str:
    """A container job's script: into its working folder, the profile's setup, then its commands (as vLLM orders them)."""
    working_dir = job.step.working_dir or profile.working_dir
    multi_gpu = (job.step.count or 1) >= 2 or job.step.num_nodes >= 2
    return "\n".join([f"cd {working_dir}", *profile.container_setup.lines(multi_gpu), *commands])


def _multi_node(job: Job, profile: Profile) -> str:
    step = job.step
    nodes = [" && ".join(interpolation.shell_text(c) for c in node) for node in step.node_commands or ()]
    if job.multi_node_script is None:
        return checkout_paths.Resolved("multi-node", None, profile.checkout_paths["multi-node"]).missing_command()
    words = [
        f"./{job.multi_node_script}",
        step.working_dir or profile.working_dir,
        str(step.num_nodes),
        str(step.count or 1),
        '"$IMAGE_TAG"',
    ]
    return " ".join(words + [shlex.quote(node) for node in nodes])


def _wrapped(
    job: Job, commands: list[str], default_dir: str, env: dict[str, Any], gpus: int, values: Mapping[str, str]
) -> str:
    """A family test job's shell: its wrapper, the commands handed over (in the family's variable, or as its
    argument); `env` gains the family's variables, docker-in-docker's or the native job's."""
    recipe = job.recipe
    assert recipe is not None and recipe.wrapper is not None
    working_dir = job.step.working_dir or default_dir
    switched = recipe.setup_switched.lines(values) if recipe.setup_switched else ()
    script = " && ".join([f"cd {working_dir}", *recipe.setup, *switched, *commands])
    if recipe.commands_variable is None:
        return f"{recipe.wrapper} {shlex.quote(script)}"
    env.update(recipe.env)
    if recipe.gpu_count_variable:
        env[recipe.gpu_count_variable] = str(gpus)
    native = recipe.native if job.runs_in == NATIVE else None
    if native is None:
        env.update(recipe.dind_env)
    else:
        for name in native.env_dropped:
            env.pop(name, None)
        for name, value in native.env_defaults.items():
            env.setdefault(name, value)
        env.update(native.env)
    if job.role == TEST and recipe.group_name_variable:
        # A step on the family's own device names its test group by its key (keys are plain words: keys.py).
        script = f"export {recipe.group_name_variable}={job.key} && {script}"
    env[recipe.commands_variable] = script
    return recipe.wrapper


def _not_refused(rule: dict[str, Any]) -> dict[str, Any]:
    """A step's own rule that would retry exit status -1 retries it only without a signal reason (never a refused job)."""
    status = rule.get("exit_status")
    covers = status in (-1, "*") or (isinstance(status, list) and -1 in status)
    if covers and "signal_reason" not in rule:
        rule["signal_reason"] = "none"
    return rule


def _retry(given: Optional[dict[str, Any]], family: tuple[Mapping[str, Any], ...] = ()) -> dict[str, Any]:
    retry = dict(given or {})
    automatic = retry.get("automatic")
    if automatic is True:
        return retry  # Buildkite's default conditions cover lost agents
    # A family's rules first (vLLM's AMD jobs), then the step's own that say something new.
    first = [_not_refused(dict(r)) for r in family]
    own = [_not_refused(dict(r)) for r in automatic] if isinstance(automatic, list) else []
    rules = first + [r for r in own if r not in first]
    for rule in LOST_AGENT_RETRIES:
        field = "exit_status" if "exit_status" in rule else "signal_reason"
        if not any(r.get(field) == rule[field] for r in rules):
            rules.append(dict(rule))
    retry["automatic"] = rules
    return retry
