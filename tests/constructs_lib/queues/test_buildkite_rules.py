"""The rules of the buildkite section, each tested alone on a model built in Python, and once through the loader."""

from __future__ import annotations

import copy

import yaml

from constructs_lib.queues import agent_tokens, rules
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.model import QueuesFile
from tests.constructs_lib.queues.minimal_queues import MINIMAL, edit, problems

BASE = yaml.safe_load(MINIMAL)
BUILDKITE = {
    "organization": "acme",
    "clusters": {"ci": {"agent_token_path": "/bk/ci-token"}, "release": {"agent_token_path": "/bk/release-token"}},
    "toolkit": {"repository": "https://github.com/acme/ci-toolkit.git"},
    "pipelines": {"ci": {"name": "CI", "repository": "https://github.com/acme/app.git"}},
}


def model(**changes) -> QueuesFile:
    """MINIMAL with a buildkite section (no aws.agent_token_path), `changes` applied by dotted key."""
    data = copy.deepcopy(BASE)
    del data["aws"]["agent_token_path"]
    data["buildkite"] = copy.deepcopy(BUILDKITE)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return QueuesFile.model_validate(data, strict=False)


def keys(findings) -> list[tuple]:
    return [path for path, _ in findings]


def test_a_valid_section_has_no_finding():
    m = model()
    assert list(rules._agent_tokens(m)) == [] and list(rules._pipelines(m)) == [] and list(rules._signing(m)) == []


def test_each_queue_reads_its_clusters_token():
    m = model(**{"queues.gpu_4_queue.buildkite": {"cluster": "release"}})
    assert agent_tokens.aws_token_path(m, "cpu_queue") == "/bk/ci-token"  # the first cluster
    assert agent_tokens.aws_token_path(m, "gpu_4_queue") == "/bk/release-token"
    assert (
        ecp.parameters(m, "gpu_4_queue", m.queues["gpu_4_queue"].aws)["BuildkiteAgentTokenParameterStorePath"]
        == "/bk/release-token"
    )


def test_the_old_single_token_path_is_refused_beside_a_buildkite_section():
    (finding,) = rules._agent_tokens(model(**{"aws.agent_token_path": "/buildkite/agent-token"}))
    assert finding[0] == ("aws", "agent_token_path") and "buildkite.clusters.<name>.agent_token_path" in finding[1]


def test_an_unknown_cluster_is_named():
    (finding,) = rules._agent_tokens(model(**{"queues.cpu_queue.buildkite": {"cluster": "nope"}}))
    assert finding == (
        ("queues", "cpu_queue", "buildkite", "cluster"),
        "no cluster named 'nope' under buildkite.clusters (ci, release)",
    )


def test_a_cluster_of_aws_queues_needs_its_token_path():
    (finding,) = rules._agent_tokens(model(**{"buildkite.clusters.ci": {"description": "no token"}}))
    assert finding == (
        ("buildkite", "clusters", "ci"),
        "needs agent_token_path: its queues cpu_queue, gpu_4_queue run on AWS",
    )
    (finding,) = rules._agent_tokens(
        model(**{"buildkite.clusters.ci": {}, "queues.gpu_4_queue.buildkite": {"cluster": "release"}})
    )
    assert finding == (("buildkite", "clusters", "ci"), "needs agent_token_path: its queue cpu_queue runs on AWS")


def test_two_clusters_cannot_share_a_token():
    (finding,) = rules._agent_tokens(model(**{"buildkite.clusters.release.agent_token_path": "/bk/ci-token"}))
    assert finding[0] == ("buildkite", "clusters", "release", "agent_token_path") and "cluster ci's too" in finding[1]


def test_a_queue_cannot_read_another_clusters_token():
    (finding,) = rules._agent_tokens(model(**{"queues.cpu_queue.aws.agent_token_path": "/bk/release-token"}))
    assert (
        finding[0] == ("queues", "cpu_queue", "aws", "agent_token_path")
        and "its agents could not connect" in finding[1]
    )


def test_a_queue_name_buildkite_refuses_as_a_cluster_queue_key():
    data = model().model_dump(exclude_none=True)
    data["queues"]["cpu.queue"] = data["queues"].pop("cpu_queue")
    findings = list(rules._agent_tokens(QueuesFile.model_validate(data, strict=False)))
    assert keys(findings) == [("queues", "cpu.queue")]


def test_a_pipeline_runs_jobs_on_its_own_clusters_queues_only():
    findings = list(rules._pipelines(model(**{"queues.gpu_4_queue.buildkite": {"cluster": "release"}})))
    assert keys(findings) == [("queues", "gpu_4_queue", "buildkite", "cluster")]
    assert "pipeline ci (cluster ci) takes its premerge, postmerge, untrusted builds' jobs there" in findings[0][1]
    # A queue of release builds alone is reached by no generated build: it may live in another cluster.
    assert (
        list(
            rules._pipelines(
                model(
                    **{"queues.gpu_4_queue.buildkite": {"cluster": "release"}, "queues.gpu_4_queue.builds": ["release"]}
                )
            )
        )
        == []
    )


def test_pipelines_need_the_toolkit_they_clone():
    assert keys(rules._pipelines(model(**{"buildkite.toolkit": None}))) == [("buildkite",)]


SIGNING = {"key_id": "k1", "private_key_path": "/bk/private-jwks", "public_key_path": "/bk/public-jwks"}


def with_bootstrap(**changes) -> QueuesFile:
    bootstrap = {"routing": {"general": False}, "aws": {"instance_types": ["r6in.large"], "max_size": 2}}
    return model(**{"buildkite.signing": dict(SIGNING), "queues.bootstrap": bootstrap, **changes})


def test_the_bootstrap_queue_signs_and_every_queue_verifies():
    m = with_bootstrap(**{"queues.gpu_4_queue.buildkite": {"verification_failure": "warn"}})
    assert list(rules._signing(m)) == []
    signer = ecp.signing_parameters(m, "bootstrap")
    assert signer == {
        "BuildkiteAgentVerificationKeySSMParameter": "/bk/public-jwks",
        "PipelineSigningVerificationFailureBehavior": "block",
        "BuildkiteAgentSigningKeySSMParameter": "/bk/private-jwks",
        "BuildkiteAgentSigningKeyID": "k1",
    }
    assert ecp.signing_parameters(m, "cpu_queue") == {
        "BuildkiteAgentVerificationKeySSMParameter": "/bk/public-jwks",
        "PipelineSigningVerificationFailureBehavior": "block",
    }
    assert ecp.signing_parameters(m, "gpu_4_queue")["PipelineSigningVerificationFailureBehavior"] == "warn"
    assert ecp.signing_key_paths(m, "cpu_queue") == ("/bk/public-jwks",)
    assert ecp.signing_key_paths(m, "bootstrap") == ("/bk/public-jwks", "/bk/private-jwks")
    assert ecp.signing_parameters(model(), "cpu_queue") == {}


def test_the_signing_queue_runs_nothing_but_the_bootstrap():
    findings = list(rules._signing(with_bootstrap(**{"queues.bootstrap.routing": {"general": True}})))
    assert keys(findings) == [("queues", "bootstrap", "routing")] and "could read the signing key" in findings[0][1]
    findings = list(
        rules._signing(with_bootstrap(**{"queues.bootstrap.routing": {"general": False, "labels": ["Docs"]}}))
    )
    assert keys(findings) == [("queues", "bootstrap", "routing")]


def test_signing_needs_a_stack_version_that_verifies():
    findings = list(rules._signing(with_bootstrap(**{"queues.cpu_queue.aws.stack_version": "v6.21.0"})))
    assert findings == [
        (
            ("queues", "cpu_queue", "aws", "stack_version"),
            "Elastic CI Stack v6.21.0 cannot verify signed jobs (no BuildkiteAgentVerificationKeySSMParameter); pin v6.71.1 or later",
        )
    ]


def test_verification_without_signing_is_refused():
    findings = list(rules._signing(model(**{"queues.cpu_queue.buildkite": {"verification_failure": "block"}})))
    assert keys(findings) == [("queues", "cpu_queue", "buildkite", "verification_failure")]


def test_signing_parameters_cannot_be_set_by_hand():
    text = edit(
        "      max_size: 4\n",
        "      max_size: 4\n      parameters:\n        BuildkiteAgentVerificationKeySSMParameter: /x\n",
    )
    (line,) = problems(text)
    assert (
        "BuildkiteAgentVerificationKeySSMParameter: set by the toolkit from buildkite.signing" in line
        and line.startswith("queues.yaml:")
    )


def test_through_the_loader_each_problem_is_one_line_with_its_place():
    text = MINIMAL.replace("  agent_token_path: /buildkite/agent-token\n", "") + (
        "buildkite:\n  organization: acme\n  clusters:\n    ci: {}\n"
    )
    lines = problems(text)
    assert len(lines) == 1 and lines[0].startswith("queues.yaml:") and "buildkite.clusters.ci" in lines[0]
    assert "needs agent_token_path: its queues cpu_queue, gpu_4_queue run on AWS" in lines[0]


def test_without_a_buildkite_section_the_single_token_is_required():
    (line,) = problems(MINIMAL.replace("  agent_token_path: /buildkite/agent-token\n", ""))
    assert "aws: needs agent_token_path (queue cpu_queue reads its agent token there)" in line
    (line,) = problems(
        edit(
            "    aws:\n      instance_types: [r6in.large]",
            "    buildkite: {cluster: ci}\n    aws:\n      instance_types: [r6in.large]",
        )
    )
    assert "queues.cpu_queue.buildkite: needs the top-level buildkite section" in line


def test_the_pipeline_rule_knows_every_kind_of_build_the_generator_makes():
    """A pipeline's cluster must hold the queues of the builds the bootstrap generates: the rule's list is the generator's."""
    import itertools

    from constructs_lib.bootstrap.generate import Options, kind_of_build

    made = {
        kind_of_build(Options(branch=branch, pull_request=pr, untrusted=untrusted))
        for branch, pr, untrusted in itertools.product(("main", "feature"), ("false", "7"), (False, True))
    }
    assert made == set(rules.GENERATED_BUILDS)
