"""A test step, as one pydantic model (`TestStep`), and the fields of its mirrors (`MirrorFields`).

Both step formats share these names (the current layout kept the single-file
names and added its own: key, device, num_devices, mirror, ...). Each field
says what it takes, through the readers of `steps`, which put a value in
normal form or raise FieldError with a sentence for a person; pydantic runs
them all and collects every problem, the model validator adds the problems
that span fields, and `constructs_lib.queues.translate` (shared with
queues.yaml) turns them into `file:line: key: message`. Fields the model does
not know are warned about by the reader: a field added upstream never stops
CI. `field:` with nothing after it is not given, as upstream reads it.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from constructs_lib.bootstrap import steps as read
from constructs_lib.bootstrap.steps import Mirror, Origin
from constructs_lib.queues.problems import Problem

# Field types: what each reader of `steps` validates and normalizes.
Text = Optional[Annotated[Any, AfterValidator(read.text)]]
Key = Optional[Annotated[Any, AfterValidator(read.key)]]
Commands = Optional[Annotated[Any, AfterValidator(read.commands)]]
Prefixes = Optional[Annotated[Any, AfterValidator(read.prefixes)]]
Flag = Optional[Annotated[Any, AfterValidator(read.flag)]]
SoftFail = Optional[Annotated[Any, AfterValidator(read.soft_fail)]]
Parallelism = Optional[Annotated[Any, AfterValidator(read.parallelism)]]
Accelerators = Optional[Annotated[Any, AfterValidator(read.accelerators)]]
Nodes = Optional[Annotated[Any, AfterValidator(read.nodes)]]
Timeout = Optional[Annotated[Any, AfterValidator(read.timeout)]]
NameField = Optional[Annotated[Any, AfterValidator(read.name)]]
Strings = Optional[Annotated[Any, AfterValidator(read.strings)]]
Env = Optional[Annotated[Any, AfterValidator(read.env)]]
Retry = Optional[Annotated[Any, AfterValidator(read.retry)]]
DependsOn = Optional[Annotated[Any, AfterValidator(read.depends_on)]]
AgentTags = Optional[Annotated[Any, AfterValidator(read.agent_tags)]]
Concurrency = Optional[Annotated[Any, AfterValidator(read.concurrency)]]
ArtifactPaths = Optional[Annotated[Any, AfterValidator(read.string_or_strings)]]
AsGiven = Optional[Annotated[Any, AfterValidator(read.as_given)]]
TextOrFlag = Optional[Annotated[Any, AfterValidator(read.flag_or_text)]]
# The mark of a Buildkite field written to the command step as the file gives it (the pipeline
# schema checks every one before anything is uploaded).
AS_GIVEN: dict[str, Any] = {"as_given": True}


class _Fields(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=False)

    def given(self) -> dict[str, Any]:
        """The known fields given a value, by the name the file writes, normalized."""
        out = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is not None:
                out[field.alias or name] = value
        return out


class MirrorFields(_Fields):
    """A mirror of the step on other hardware (`mirror: {amd: {...}}`): what it may set of the step's own fields."""

    device: NameField = None
    commands: Commands = None
    command: Commands = None
    working_dir: Text = None
    depends_on: DependsOn = None
    soft_fail: SoftFail = None
    timeout_in_minutes: Timeout = None
    source_file_dependencies: Prefixes = None
    optional: Flag = None
    env: Env = None
    num_devices: Accelerators = None
    num_gpus: Accelerators = None
    dind: Flag = None
    agent_tags: AgentTags = None
    label: Text = None
    no_plugin: Flag = None
    no_gpu: Flag = None
    concurrency: Concurrency = None
    concurrency_group: Text = None


class TestStep(BaseModel):
    """A test step of either format: the step file's fields as the readers of `steps` normalize them, and where it stands.

    The one model of a step. Single fields are checked by their readers
    (field types above); what spans fields is the model validator
    `_spanning`, whose problems name the field they are about. What the
    generator derives from the fields (the commands of each node, the GPUs a
    step asks for, its effective tags and Buildkite fields) are properties,
    not copies. Steps the generator makes (image builds, hardware tests,
    failing steps) are built with `model_construct`; mirrors, failing steps
    and torch-nightly copies derive from a step by the table of
    `derived_steps`.
    """

    __test__ = False  # not a pytest class, despite the name
    model_config = ConfigDict(frozen=True, populate_by_name=True, arbitrary_types_allowed=True, defer_build=True)

    # Where it stands: set by the reader, written by no step file.
    origin: Origin
    group: Optional[str] = None  # the job file's group (current layout)
    extra_dependencies: tuple[str, ...] = ()  # the job file itself (current layout): a change to it runs the step
    mirrors: tuple[Mirror, ...] = ()  # read from mirror_hardwares, mirror and amd_gpus by the reader
    # Problems confined to this step: it becomes a step that fails with them, and the rest of the build runs.
    broken: tuple[Problem, ...] = ()

    # The step file's fields (both formats), by the names the files write.
    label: Annotated[Any, AfterValidator(read.text)]
    key: Key = None
    commands: Commands = Field(None, validation_alias=AliasChoices("commands", "command"))
    working_dir: Text = None
    depends_on: DependsOn = None
    soft_fail: SoftFail = False
    timeout_in_minutes: Timeout = None
    source_file_dependencies: Prefixes = None
    optional: Flag = False
    env: Env = None
    # The current layout's num_devices, else the single file's num_gpus (num_devices wins when both are given).
    num_devices: Accelerators = Field(None, validation_alias=AliasChoices("num_devices", "num_gpus"))
    device: NameField = None
    parallelism: Parallelism = None
    num_nodes: Annotated[Any, AfterValidator(read.nodes)] = 1
    gpu: NameField = None
    no_gpu: Flag = False
    mirror_hardwares: Strings = None
    mirror: Optional[Any] = None  # read by StepReader, which knows its parts (MirrorFields)
    fast_check: Flag = None
    fast_check_only: Flag = False
    torch_nightly: Flag = False
    autorun_on_main: Flag = False
    nightly: Flag = False
    amd_gpus: Accelerators = None
    retry: Retry = None
    no_plugin: Flag = False
    agents: AgentTags = None
    agent_tags: AgentTags = None  # the current layout's name (vLLM's XPU steps): tags beside the queue
    # A step of a mirror family's device (vLLM: an AMD GPU): false runs it natively (MirrorRecipe.native),
    # not through the family's docker-in-docker wrapper.
    dind: Flag = None
    # The agent in the step's container (the docker plugin's mount-buildkite-agent; trusted builds only).
    mount_buildkite_agent: Flag = False
    # Buildkite fields written to the command step as given (AS_GIVEN).
    concurrency: Concurrency = Field(None, json_schema_extra=AS_GIVEN)
    concurrency_group: Text = Field(None, json_schema_extra=AS_GIVEN)
    artifact_paths: ArtifactPaths = Field(None, json_schema_extra=AS_GIVEN)
    notify: AsGiven = Field(None, json_schema_extra=AS_GIVEN)
    cancel_on_build_failing: Flag = Field(None, json_schema_extra=AS_GIVEN)
    allow_dependency_failure: Flag = Field(None, json_schema_extra=AS_GIVEN)
    if_: Text = Field(None, alias="if", json_schema_extra=AS_GIVEN)
    skip: TextOrFlag = Field(None, json_schema_extra=AS_GIVEN)

    @model_validator(mode="wrap")
    @classmethod
    def _spanning(cls, data: Any, handler: ModelWrapValidatorHandler["TestStep"]) -> "TestStep":
        """The rules that span fields, after each field has been read: each problem names its field."""
        step = handler(data)
        if isinstance(data, dict):
            errors = step._span_problems(data)
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return step

    def _span_problems(self, given: dict[str, Any]) -> list[InitErrorDetails]:
        def problem(loc: tuple[str, ...], message: str) -> InitErrorDetails:
            return InitErrorDetails(type=PydanticCustomError("step", message), loc=loc, input=None)

        found = []
        if "command" in given and "commands" in given:
            found.append(problem(("command",), "give either command or commands, not both"))
        if self.commands is None:
            return [*found, problem((), "a step needs command or commands")]
        field = "commands" if "commands" in given else "command"
        if self.node_commands is not None:
            if self.num_nodes < 2 or self.no_plugin:
                found.append(problem((field,), "lists of command lists are for num_nodes of 2 or more"))
            elif len(self.node_commands) != self.num_nodes:
                found.append(
                    problem(
                        (field,),
                        f"num_nodes is {self.num_nodes}: give one command list per node (got {len(self.node_commands)})",
                    )
                )
        if self.no_gpu and (self.gpu is not None or self.device is not None):
            other = "gpu" if "gpu" in given else "device"
            found.append(problem(("no_gpu",), f"no_gpu contradicts {other}: {getattr(self, other)}"))
        return found

    # -- what the generator derives from the fields ----------------------------------

    @property
    def node_commands(self) -> Optional[tuple[tuple[str, ...], ...]]:
        """One command list per node (num_nodes of 2 or more), or None."""
        given = self.commands or ()
        return given if given and isinstance(given[0], tuple) else None

    @property
    def flat_commands(self) -> tuple[str, ...]:
        """Every command, the nodes' one after another."""
        nodes = self.node_commands
        return tuple(c for node in nodes for c in node) if nodes is not None else tuple(self.commands or ())

    @property
    def on_host(self) -> bool:
        """Runs on the agent's host: no_plugin, or one command list for several nodes (it starts the nodes itself)."""
        return bool(self.no_plugin) or (self.num_nodes >= 2 and self.node_commands is None)

    @property
    def dependencies(self) -> Optional[tuple[str, ...]]:
        """The changed-file prefixes that run it (its source_file_dependencies and its job file); None: not given."""
        if self.extra_dependencies:
            return tuple(self.source_file_dependencies or ()) + self.extra_dependencies
        return self.source_file_dependencies

    @property
    def accelerator(self) -> Optional[str]:
        """The accelerator type `gpu:` asks for; a device decides instead when it is given."""
        return None if self.device is not None else self.gpu

    @property
    def count(self) -> Optional[int]:
        """Accelerators per node; None: 1."""
        return self.num_devices

    @property
    def also_torch_nightly(self) -> bool:
        """Also runs against torch nightly (TORCH_NIGHTLY=1): `torch_nightly`, or a `mirror.torch_nightly` block."""
        return bool(self.torch_nightly) or (isinstance(self.mirror, dict) and "torch_nightly" in self.mirror)

    @property
    def tags(self) -> Optional[dict[str, Any]]:
        """Agent tags beside the queue the generator routes to: `agents` (Buildkite's name), then `agent_tags`."""
        merged: dict[str, Any] = {}
        for given in (self.agents, self.agent_tags):
            merged.update({k: v for k, v in (given or {}).items() if k != "queue"})
        return merged or None

    @property
    def passthrough(self) -> Optional[dict[str, Any]]:
        """The Buildkite fields written to its command step as given (AS_GIVEN), by the names the file writes."""
        found = {file_name: getattr(self, name) for name, file_name in PASSTHROUGH_FIELDS.items()}
        return {file_name: value for file_name, value in found.items() if value is not None} or None

    @classmethod
    def file_fields(cls) -> frozenset[str]:
        """Every field name a step file may write."""
        return FILE_FIELDS


# Field -> the name the file writes, for each Buildkite field written as given, in the model's order.
PASSTHROUGH_FIELDS = {
    name: field.alias or name for name, field in TestStep.model_fields.items() if field.json_schema_extra == AS_GIVEN
}
# Fields the reader sets, which no step file writes.
CONTEXT_FIELDS = frozenset({"origin", "group", "extra_dependencies", "mirrors", "broken"})


def _file_names(name: str, field: Any) -> tuple[str, ...]:
    if isinstance(field.validation_alias, AliasChoices):
        return tuple(str(choice) for choice in field.validation_alias.choices)
    return (field.alias or name,)


FILE_FIELDS = frozenset(
    file_name
    for name, field in TestStep.model_fields.items()
    if name not in CONTEXT_FIELDS
    for file_name in _file_names(name, field)
)
# Every field name a step may have, for tools and tests.
STEP_FIELDS = tuple(sorted(FILE_FIELDS))
