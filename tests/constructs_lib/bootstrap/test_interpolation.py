"""Upload-time variables: resolved by the generator, quoted for where they stand in a command."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib.bootstrap.interpolation import resolve

VALUES = {"BUILDKITE_BRANCH": "feature/x", "BUILDKITE_COMMIT": "0123abc"}


def test_known_names_are_resolved_and_double_dollars_are_the_jobs_own():
    assert resolve("a $BUILDKITE_BRANCH ${BUILDKITE_COMMIT} $$HOME $OTHER ${OTHER}", VALUES) == "a feature/x 0123abc $HOME $OTHER ${OTHER}"
    assert resolve("$$BUILDKITE_BRANCH", VALUES) == "$BUILDKITE_BRANCH"  # the job's own, not resolved
    assert resolve("price: $5 and $", VALUES) == "price: $5 and $"


def test_plain_values_are_written_as_they_are_in_commands():
    assert resolve("echo '$BUILDKITE_BRANCH' \"$BUILDKITE_BRANCH\" $BUILDKITE_BRANCH", VALUES, shell=True) == (
        "echo 'feature/x' \"feature/x\" feature/x"
    )


def test_outside_commands_values_are_data():
    hostile = {"BUILDKITE_BRANCH": "a'b$(x)"}
    assert resolve("v=$BUILDKITE_BRANCH", hostile) == "v=a'b$(x)"


# Characters a branch name or a variable value may hold, the shell's specials first among them.
TEXT = st.text(alphabet=st.sampled_from(list("$`'\"\\;|&()<>{} \t*?!#~=%ab/-_.:")), min_size=1, max_size=24)


@settings(max_examples=60, deadline=None)
@given(value=TEXT)
def test_a_value_in_any_quoting_prints_as_itself_and_runs_nothing(tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("shell")
    command = resolve("printf '%s|' $BUILDKITE_BRANCH \"$BUILDKITE_BRANCH\" 'x$BUILDKITE_BRANCH'", {"BUILDKITE_BRANCH": value}, shell=True)
    done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, (command, done.stderr)
    assert done.stdout == f"{value}|{value}|x{value}|"
    assert list(folder.iterdir()) == []
