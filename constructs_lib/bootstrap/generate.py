"""The pure core: a repository's test steps and the queue model in, a pipeline out.

    result = generate(source, model, Options(changed_files=files, branch="feature"))
    result.yaml      # the pipeline (schema-checked); result.json the same for the upload
    result.explain   # the Markdown summary

Raises LoadError, one problem per line, for anything that must stop the
bootstrap: key collisions, a pipeline the schema rejects, and (with
`strict`) steps no declared queue can run; otherwise those become failing
steps listed in `result.errors`. Nothing is returned half-made.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import Any, Mapping, Optional

from constructs_lib.bootstrap import (
    explain,
    host_trust,
    image_build,
    interpolation,
    pipeline_schema,
    render,
    selection,
    steps,
    unset_variables,
    yaml_writer,
)
from constructs_lib.bootstrap.controls import ONLY_KEYS_ENV
from constructs_lib.bootstrap.formats import Source
from constructs_lib.bootstrap.jobs import COMMIT_VARIABLE, NATIVE, Image, Job, expand, failing_job, unroutable_job
from constructs_lib.bootstrap.plan import Plan
from constructs_lib.bootstrap.routing import Route, Unroutable, route
from constructs_lib.queues import trust
from constructs_lib.queues.hostings import kind_of
from constructs_lib.queues.model import UNTRUSTED, BuildKind, CiRegistry, QueuesFile
from constructs_lib.queues.problems import LoadError, Problem

# The PR label that runs every test, as vLLM's generator reads it.


@dataclasses.dataclass(frozen=True)
class Options:
    changed_files: tuple[str, ...] = ()
    branch: str = ""
    default_branch: str = "main"
    run_all: bool = False
    nightly: bool = False
    docs_skip: bool = True
    registry: Optional[str] = None
    repository: Optional[str] = None
    priority: Optional[int] = None
    torch_nightly: bool = False  # TORCH_NIGHTLY=1: run everything, and the torch_nightly steps on torch nightly too
    noauto: bool = False  # NOAUTO=1: every job waits behind a block step
    only_keys: Optional[frozenset[str]] = None  # VLLM_CI_ONLY_STEP_KEYS
    continue_on_failure: bool = False  # CONTINUE_ON_FAILURE=1: every command runs, the job fails if one did
    skip_timeouts: bool = False  # SKIP_TIMEOUT=1: no job gets a timeout
    pr_labels: tuple[str, ...] = ()  # the PR's labels: the profile's run-all label runs everything, nightly steps too
    strict: bool = False  # a step no queue can run stops the bootstrap instead of failing on its own
    # Not trusted (constructs_lib.queues.trust: a PR from a fork or an unknown repository):
    # no secret, agent or writable shared mount in its containers; host steps only as the merge base defines them.
    untrusted: bool = False
    # BUILDKITE_PULL_REQUEST: a PR number, or "false"/absent for a branch build.
    # A PR from a branch named like the default branch is still a PR.
    pull_request: Optional[str] = None
    # The step files at the merge base (an untrusted build's host jobs run only as defined there); None: unknown.
    base_source: Optional[Source] = None
    # Values of interpolation.BUILD_VARIABLES (the bootstrap's environment).
    build_variables: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Values of the profile's own variables of the bootstrap's environment (Profile.bootstrap_variables).
    profile_values: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def is_pull_request(self) -> bool:
        return trust.is_pull_request(self.pull_request)

    @property
    def on_default_branch(self) -> bool:
        return bool(self.branch) and self.branch == self.default_branch and not self.is_pull_request


@dataclasses.dataclass(frozen=True)
class Planned:
    """One job as generated: for the tests and for tools that read the plan."""

    key: str
    label: str
    role: str
    queue: str
    rule: str
    runs: bool
    reason: str
    runs_in: str  # container, host or multi-node
    depends_on: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Result:
    pipeline: dict[str, Any]
    explain: str
    warnings: tuple[Problem, ...]
    plan: tuple[Planned, ...]
    errors: tuple[Problem, ...] = ()  # steps no declared queue can run: uploaded as failing steps

    # Written on demand: the upload needs one of them, and YAML takes its time.
    @functools.cached_property
    def yaml(self) -> str:
        """The pipeline as YAML, for people (previews, --output *.yaml)."""
        return yaml_writer.dump(self.pipeline)

    @functools.cached_property
    def json(self) -> str:
        """The same pipeline as JSON (YAML too), for the upload: written in a moment."""
        return json.dumps(self.pipeline, ensure_ascii=False, indent=1) + "\n"


def generate(source: Source, model: QueuesFile, options: Options = Options()) -> Result:
    default = options.on_default_branch
    _check_image_options(options)
    build = {k: v for k, v in options.build_variables.items() if k in interpolation.BUILD_VARIABLES}
    declared = model.aws.registry if model.aws else None
    build_kind = kind_of_build(options)
    image = Image(
        registry=options.registry or (declared.image_registry if declared else None) or source.images.registry,
        repository=options.repository or _repository(source, declared, build_kind),
        branch=options.branch,
        default_branch=default,
        commit=_commit(build.get("BUILDKITE_COMMIT")),
        caches=image_build.caches_for(
            model, build_kind, trusted=not options.untrusted, default_branch=options.default_branch
        ),
    )
    expansion = expand(source, model, image, torch_nightly=options.torch_nightly)
    routes: dict[str, Route] = {}
    problems: list[Problem] = []
    errors: list[Problem] = []
    routed: list[Job] = []
    for job in expansion.jobs:
        found = None if job.step.broken else route(job.needs, model, build_kind)
        if job.runs_in == NATIVE and found is not None:
            job = _native_problems(job, found, model)
        if job.step.broken or found is None:
            # A problem of this step alone: it fails on its own, with its reasons; the rest of the build runs.
            (problems if options.strict else errors).extend(job.step.broken)
            job = failing_job(job, "; ".join(str(p) for p in job.step.broken))
            routes[job.key] = Route(
                bootstrap_queue(model), "the step cannot be run as written: fails on the bootstrap queue"
            )
            routed.append(job)
            continue
        if isinstance(found, Unroutable):
            problem = job.step.origin.problem(f"no declared queue can run {job.label!r}: {found.reason}")
            (problems if options.strict else errors).append(problem)
            job = unroutable_job(job, found.reason)
            found = Route(bootstrap_queue(model), "no declared queue can run it: fails on the bootstrap queue")
        routes[job.key] = found
        routed.append(job)
    if problems:
        raise LoadError(problems)
    jobs = tuple(routed)
    labelled = source.profile.run_all_label in options.pr_labels
    request = selection.Request(
        run_all=options.run_all or options.torch_nightly or labelled,
        nightly=options.nightly or labelled,
        default_branch=default,
        docs_skip=options.docs_skip,
        noauto=options.noauto,
        only_keys=options.only_keys,
    )
    unknown_keys = sorted((options.only_keys or frozenset()) - {job.key for job in jobs})
    change = selection.changes(options.changed_files, source.run_all, source.run_all_exclude)
    decisions = selection.decide(jobs, change, request)
    if options.untrusted:
        base = _base_jobs(options.base_source, source, model, image, options.torch_nightly)
        decisions = host_trust.hold(jobs, decisions, base, options.changed_files)
    plan = Plan(jobs, routes, decisions)
    pipeline = render.render(
        plan,
        image,
        model,
        render.JobControls(options.priority, options.continue_on_failure, options.skip_timeouts),
        build,
        trusted=not options.untrusted,
        profile=source.profile,
        profile_values=options.profile_values,
    )
    rejected = pipeline_schema.problems(pipeline)
    if rejected:
        raise LoadError(
            Problem(source.file, 0, "", f"the generated pipeline fails Buildkite's schema: {m}") for m in rejected
        )
    pushes: tuple[Problem, ...] = ()
    allowed = declared.repositories_for([build_kind]) if declared else ()
    if declared and image.repository not in allowed:
        pushes = (
            Problem(
                source.file,
                0,
                "",
                f"the image {image.name} is in repository {image.repository!r}, which the builders of "
                f"{build_kind} builds may not push to (aws.registry: {', '.join(allowed) or 'none for ' + build_kind})",
            ),
        )
    unset = unset_variables.warnings(jobs, model, {key: route.queue for key, route in routes.items()}, image)
    warnings = (
        source.warnings
        + expansion.warnings
        + unset
        + pushes
        + _dropped_artifacts(jobs, options)
        + tuple(Problem(ONLY_KEYS_ENV, 0, "", f"no step has the key {key!r}") for key in unknown_keys)
    )
    summary = explain.markdown(plan, change, request, warnings, expansion.excluded, tuple(errors))
    planned = tuple(
        Planned(
            job.key,
            job.label,
            job.role,
            routes[job.key].queue,
            routes[job.key].rule,
            plan.runs(job),
            plan.decisions[job.key].reason,
            job.runs_in,
            job.depends_on,
        )
        for job in jobs
    )
    return Result(pipeline, summary, warnings, planned, tuple(errors))


def kind_of_build(options: Options) -> BuildKind:
    """Which builds' queues, repositories and caches this build uses (queues.<name>.builds)."""
    if options.untrusted:
        return UNTRUSTED
    return "postmerge" if options.on_default_branch else "premerge"


def _repository(source: Source, declared: Optional[CiRegistry], kind: BuildKind) -> str:
    """The step files' repository for the build, where its builders may push to it; else the first queues.yaml gives them."""
    wanted = source.images.main if kind == "postmerge" else source.images.premerge
    allowed = declared.repositories_for([kind]) if declared else ()
    return wanted if not allowed or wanted in allowed else allowed[0]


def _base_jobs(
    base: Optional[Source], source: Source, model: QueuesFile, image: Image, torch_nightly: bool
) -> Optional[dict[str, Job]]:
    """The jobs the merge base's step files define, by key (with this checkout's files), or None."""
    if base is None:
        return None
    try:
        expansion = expand(dataclasses.replace(base, present=source.present), model, image, torch_nightly=torch_nightly)
    except LoadError:
        return None
    return {job.key: job for job in expansion.jobs}


def _dropped_artifacts(jobs: tuple[Job, ...], options: Options) -> tuple[Problem, ...]:
    """What an untrusted build's steps lose (artifact paths outside the checkout, notifications): left out, and said."""
    if not options.untrusted:
        return ()
    outside = tuple(
        job.step.origin.problem(
            f"artifact path {path!r} is outside the checkout; an untrusted build uploads only "
            "paths inside it, so it is left out",
            "artifact_paths",
        )
        for job in jobs
        for path in steps.checkout_artifacts((job.step.passthrough or {}).get("artifact_paths"))[1]
    )
    notifications = tuple(
        job.step.origin.problem("an untrusted build sends no notifications; left out", field)
        for job in jobs
        for field in sorted(render.UNTRUSTED_DROPPED & set(job.step.passthrough or {}))
    )
    return outside + notifications


def _native_problems(job: Job, found: Route | Unroutable, model: QueuesFile) -> Job:
    """What keeps a native job (dind: false) from running as a pod: problems of its step alone, which then fails alone.

    It runs on one node, and on a queue whose agents run pods (HostingKind.runs_pods).
    """
    problems = []
    if job.step.num_nodes >= 2:
        problems.append(
            job.step.origin.problem("native jobs (dind: false) run on one node: set num_nodes to 1", "num_nodes")
        )
    elif isinstance(found, Route) and not kind_of(model.queues[found.queue]).runs_pods(model.queues[found.queue]):
        problems.append(
            job.step.origin.problem(
                f"native jobs (dind: false) run as pods: the agents of {found.queue} run none "
                "(declare external.pods: true if they are agent-stack-k8s)",
                "dind",
            )
        )
    return dataclasses.replace(job, step=job.step.model_copy(update={"broken": tuple(problems)})) if problems else job


def bootstrap_queue(model: QueuesFile) -> str:
    """Where a step no queue can run fails: the queue the bootstrap runs on (QueuesFile.bootstrap_queue)."""
    return model.bootstrap_queue()


def _check_image_options(options: Options) -> None:
    problems = []
    for flag, value, reader in (
        ("--registry", options.registry, steps.registry),
        ("--repository", options.repository, steps.repository),
    ):
        if value is not None:
            try:
                reader(value)
            except steps.FieldError as err:
                problems.append(Problem(flag, 0, "", str(err)))
    if problems:
        raise LoadError(problems)


_COMMIT = re.compile(r"[0-9a-f]{7,64}")


def _commit(value: Optional[str]) -> str:
    """The image tag: the commit when it is a commit id (it names images and enters commands)."""
    if value and _COMMIT.fullmatch(value):
        return value
    return COMMIT_VARIABLE
