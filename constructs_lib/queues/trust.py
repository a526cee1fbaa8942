"""Which builds are trusted: the one definition every part of the toolkit uses.

A build is trusted when it is not a pull request, or when it is a pull
request whose head repository is the pipeline's own. A PR from another
repository (a fork), or whose head repository is unknown
(BUILDKITE_PULL_REQUEST_REPO unset or empty, BUILDKITE_REPO unset), is
untrusted everywhere: in the generator, the hooks of the toolkit's AMIs, the
TPU hosts' agent hook and the Kubernetes pods.

The same rule in bash is `trust.sh` beside this file; the AMI hook and the
TPU startup script carry that file's text, and a test holds the two to the
same verdicts. Pure.
"""

from __future__ import annotations

import pathlib
import re
from typing import Mapping, Optional

SHELL_DEFINITION = pathlib.Path(__file__).with_name("trust.sh")
_SCHEME = re.compile(r"^[a-z+]+://")
_USER = re.compile(r"^[^@/]+@")


def repository(url: str) -> str:
    """`git@github.com:o/r.git`, `https://github.com/o/r` and `ssh://git@github.com/o/r.git` alike: `github.com/o/r`."""
    text = url.strip().lower()
    scp_like = not _SCHEME.match(text)  # git@host:owner/repo
    text = _SCHEME.sub("", text)
    text = _USER.sub("", text)
    if scp_like:
        text = text.replace(":", "/", 1)
    text = text.rstrip("/")
    return text[: -len(".git")] if text.endswith(".git") else text


def is_pull_request(pull_request: Optional[str]) -> bool:
    return pull_request not in (None, "", "false")


def trusted(pull_request: Optional[str], pr_repository: Optional[str], pipeline_repository: Optional[str]) -> bool:
    """False for a PR whose head repository is not the pipeline's, or is unknown."""
    if not is_pull_request(pull_request):
        return True
    if not pr_repository or not pr_repository.strip() or not pipeline_repository or not pipeline_repository.strip():
        return False
    return repository(pr_repository) == repository(pipeline_repository)


def trusted_build(environment: Mapping[str, str]) -> bool:
    """`trusted` for a job's Buildkite environment."""
    return trusted(
        environment.get("BUILDKITE_PULL_REQUEST"),
        environment.get("BUILDKITE_PULL_REQUEST_REPO"),
        environment.get("BUILDKITE_REPO"),
    )


def shell_definition() -> str:
    """The bash functions of trust.sh, for the scripts that carry them."""
    return SHELL_DEFINITION.read_text(encoding="utf-8")
