"""Values of the build are data: commands never hold them; other fields get the allow-listed ones resolved."""

from __future__ import annotations

import pathlib

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib.bootstrap.interpolation import references, resolve, shell_text
from tests.job_shell import run_step

from .helpers import run, step, unsectioned, unsectioned_text

VALUES = {"BUILDKITE_BRANCH": "feature/x", "BUILDKITE_COMMIT": "0123abc"}


def test_fields_that_are_not_commands_get_known_names_resolved_and_double_dollars_are_the_jobs_own():
    assert (
        resolve("a $BUILDKITE_BRANCH ${BUILDKITE_COMMIT} $$HOME $OTHER ${OTHER}", VALUES)
        == "a feature/x 0123abc $HOME $OTHER ${OTHER}"
    )
    assert resolve("$$BUILDKITE_BRANCH", VALUES) == "$BUILDKITE_BRANCH"  # the job's own, not resolved
    assert resolve("price: $5 and $", VALUES) == "price: $5 and $"
    assert resolve("${BUILDKITE_BRANCH:-x}", VALUES) == "${BUILDKITE_BRANCH:-x}"  # an operator: left as written


def test_outside_commands_values_are_data():
    hostile = {"BUILDKITE_BRANCH": "a'b$(x)"}
    assert resolve("v=$BUILDKITE_BRANCH", hostile) == "v=a'b$(x)"


def test_commands_keep_every_variable_for_the_jobs_shell():
    assert (
        shell_text("echo $BUILDKITE_BRANCH ${BUILDKITE_COMMIT} $$HOME")
        == "echo $BUILDKITE_BRANCH ${BUILDKITE_COMMIT} $HOME"
    )
    assert references("a $REGISTRY ${REPO} ${BRANCH:-main} $$IMAGE_TAG $5") == {
        "REGISTRY",
        "REPO",
        "BRANCH",
        "IMAGE_TAG",
    }


# Characters a branch name, a PR title or a label may hold, the shell's specials first among them.
TEXT = st.text(
    alphabet=st.sampled_from(list("$`'\"\\;|&()<>{} \t*?!#~=%ab/-_.:")), min_size=1, max_size=24
)  # $(...) drops trailing newlines
# The shell contexts a step file may put a build variable in.
CONTEXTS = """\
steps:
- label: "Shell contexts $BUILDKITE_BRANCH"
  key: contexts
  no_plugin: true
  commands:
  - "# it's a comment with an apostrophe $BUILDKITE_BRANCH"
  - "true unquoted: split and globbed, never run: $BUILDKITE_BRANCH"
  - printf '<%s>' "$BUILDKITE_BRANCH" 'x$BUILDKITE_BRANCH'
  - printf '<%s>' "$(printf '%s' "$BUILDKITE_BRANCH")"
  - printf '<%s>' "`printf '%s' \\"$BUILDKITE_BRANCH\\"`"
  - printf '<%s>' "'$BUILDKITE_PULL_REQUEST_BASE_BRANCH'"
  - printf '<%s>' ${BUILDKITE_TAG:-none}
  - |
    cat <<EOF
    <$BUILDKITE_BRANCH>
    EOF
- label: In a container
  key: container
  commands:
  - printf '<%s>' "$BUILDKITE_BRANCH" "$BUILDKITE_PULL_REQUEST_BASE_BRANCH"
"""


@settings(max_examples=40, deadline=None)
@given(branch=TEXT, base=TEXT)
def test_adversarial_build_values_in_every_shell_context_run_nothing(tmp_path_factory, branch, base):
    """A value shaped like code, or like another variable, is printed as itself and runs nothing."""
    folder = pathlib.Path(tmp_path_factory.mktemp("shell"))
    build = {
        "BUILDKITE_BRANCH": branch,
        "BUILDKITE_PULL_REQUEST_BASE_BRANCH": base,
        "BUILDKITE_TAG": "$BUILDKITE_BRANCH",
        "BUILDKITE_PULL_REQUEST": "12",
        "BUILDKITE_COMMIT": "0123abc",
    }
    result = run(CONTEXTS, branch=branch, pull_request="12", untrusted=True, build_variables=build, run_all=True)
    host = step(result.pipeline, "contexts")
    text = "\n".join(host["commands"])
    # No value of the build in a command (the log sections are the generator's words and the commands' own).
    assert branch not in "\n".join(unsectioned(host["commands"])) or branch in CONTEXTS
    done = run_step(host, build, folder)
    assert done.returncode == 0, (text, done.stderr)
    assert unsectioned_text(done.stdout) == (
        f"<{branch}><x$BUILDKITE_BRANCH><{branch}><{branch}><'{base}'><$BUILDKITE_BRANCH><{branch}>\n"
    )
    assert list(folder.iterdir()) == []
    container = step(result.pipeline, "container")
    done = run_step(container, build, folder)
    assert done.stdout.endswith(f"<{branch}><{base}>"), done.stderr
