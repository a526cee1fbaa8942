"""The one rule of trusted builds, in Python and in bash, gives the same verdicts."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib.queues import trust

OURS = "git@github.com:vllm-project/vllm.git"


def test_a_branch_build_is_trusted():
    assert trust.trusted(None, None, None)
    assert trust.trusted("false", "https://github.com/someone/vllm.git", OURS)
    assert trust.trusted("", None, OURS)


def test_a_pr_from_the_pipelines_own_repository_is_trusted_in_any_spelling():
    for spelling in (
        "https://github.com/vllm-project/vllm",
        "https://github.com/vllm-project/vllm.git/",
        "ssh://git@github.com/vllm-project/vllm.git",
        "git@github.com:VLLM-project/vllm.git",
    ):
        assert trust.trusted("12", spelling, OURS), spelling


def test_a_pr_from_a_fork_is_untrusted():
    assert not trust.trusted("12", "https://github.com/someone/vllm.git", OURS)


def test_a_pr_whose_head_repository_is_unknown_is_untrusted():
    assert not trust.trusted("12", "", OURS)
    assert not trust.trusted("12", None, OURS)
    assert not trust.trusted("12", "   ", OURS)
    assert not trust.trusted("12", "https://github.com/vllm-project/vllm", None)


def test_trusted_build_reads_buildkites_variables():
    env = {
        "BUILDKITE_PULL_REQUEST": "3",
        "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/a/b",
        "BUILDKITE_REPO": "https://github.com/a/b",
    }
    assert trust.trusted_build(env)
    assert not trust.trusted_build({**env, "BUILDKITE_PULL_REQUEST_REPO": ""})


def _bash_verdicts(cases: list[dict[str, str]]) -> list[bool]:
    """ci_trust_build of trust.sh for each case, in one bash process."""
    lines = [trust.shell_definition(), "set -u"]
    for case in cases:
        assignments = " ".join(f"{name}={_single_quoted(value)}" for name, value in case.items()) or ":"
        lines.append(
            f"( unset BUILDKITE_PULL_REQUEST BUILDKITE_PULL_REQUEST_REPO BUILDKITE_REPO; {assignments}; "
            "if ci_trust_build; then echo yes; else echo no; fi )"
        )
    out = subprocess.run(["bash", "-c", "\n".join(lines)], capture_output=True, text=True, check=True).stdout.split()
    return [word == "yes" for word in out]


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


_URL_PART = st.text(alphabet="abcAB-_.:/@ \tgit", max_size=12)
_URL = st.one_of(
    _URL_PART,
    st.builds(
        lambda scheme, user, host, path: f"{scheme}{user}{host}{path}",
        st.sampled_from(["", "https://", "ssh://", "git+ssh://", "HTTPS://"]),
        st.sampled_from(["", "git@", "u@v@"]),
        st.sampled_from(["github.com", "GitHub.com", "x"]),
        st.sampled_from([":o/r", "/o/r", "/o/r.git", "/o/r/", "/O/R.git//", ":o/r.git", "/o/s"]),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "BUILDKITE_PULL_REQUEST": st.sampled_from(["false", "", "12"]),
                "BUILDKITE_PULL_REQUEST_REPO": _URL,
                "BUILDKITE_REPO": _URL,
            },
        ),
        min_size=1,
        max_size=20,
    )
)
def test_bash_and_python_agree(cases):
    assert _bash_verdicts(cases) == [trust.trusted_build(case) for case in cases]


def test_bash_and_python_agree_on_the_named_cases():
    cases = [
        {
            "BUILDKITE_PULL_REQUEST": "12",
            "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/someone/vllm.git",
            "BUILDKITE_REPO": OURS,
        },
        {
            "BUILDKITE_PULL_REQUEST": "12",
            "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/vllm-project/vllm",
            "BUILDKITE_REPO": OURS,
        },
        {"BUILDKITE_PULL_REQUEST": "12", "BUILDKITE_REPO": OURS},
        {"BUILDKITE_PULL_REQUEST": "false"},
    ]
    assert _bash_verdicts(cases) == [False, True, False, True]
