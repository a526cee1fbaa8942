"""The fields of a test step and of its mirrors, as pydantic models.

Both step formats share these names (the current layout kept the single-file
names and added its own: key, device, num_devices, mirror, ...). Each field
says what it takes, through the readers of `steps`, which put a value in
normal form or raise FieldError with a sentence for a person; pydantic runs
them all and collects every problem, and `constructs_lib.queues.translate`
(shared with queues.yaml) turns them into `file:line: key: message`. Fields
the models do not know are kept aside (`model_extra`): a field added
upstream is a warning, never a stop. `field:` with nothing after it is not
given, as upstream reads it.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from constructs_lib.bootstrap import steps as read

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
Concurrency = Optional[Annotated[Any, AfterValidator(read.PASSTHROUGH["concurrency"])]]
ArtifactPaths = Optional[Annotated[Any, AfterValidator(read.PASSTHROUGH["artifact_paths"])]]
AsGiven = Optional[Annotated[Any, AfterValidator(read.PASSTHROUGH["notify"])]]
TextOrFlag = Optional[Annotated[Any, AfterValidator(read.PASSTHROUGH["skip"])]]


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


class StepFields(MirrorFields):
    """A test step of either format: a mirror's fields and the step's own."""

    label: Text = None
    key: Key = None
    parallelism: Parallelism = None
    num_nodes: Nodes = None
    gpu: NameField = None
    no_gpu: Flag = None
    mirror_hardwares: Strings = None
    mirror: Optional[Any] = None  # read by StepReader, which knows its parts (MirrorFields)
    fast_check: Flag = None
    fast_check_only: Flag = None
    torch_nightly: Flag = None
    autorun_on_main: Flag = None
    nightly: Flag = None
    amd_gpus: Accelerators = None
    retry: Retry = None
    no_plugin: Flag = None
    agents: AgentTags = None
    agent_tags: AgentTags = None  # the current layout's name (vLLM's XPU steps): tags beside the queue
    # Buildkite fields written to the command step as given (read.PASSTHROUGH).
    concurrency: Concurrency = None
    concurrency_group: Text = None
    artifact_paths: ArtifactPaths = None
    notify: AsGiven = None
    cancel_on_build_failing: Flag = None
    allow_dependency_failure: Flag = None
    if_: Text = Field(None, alias="if")
    skip: TextOrFlag = None


# Every field name a step may have, for tools and tests.
STEP_FIELDS = tuple(field.alias or name for name, field in StepFields.model_fields.items())
