"""CiAccessPolicy: a queue's statements as one policy on its instance role."""

from __future__ import annotations

from constructs_lib.infra.aws.ci_access_policy import CiAccessPolicy
from constructs_lib.infra.aws.registry_access import RegistryAccess
from tests.constructs_lib.infra.construct_synth import of_type, synth

PULL = {"sid": "PullCiImages", "actions": ["ecr:BatchGetImage"], "resources": ["arn:repo"]}
LIST = {
    "sid": "ListBuildCache",
    "actions": ["s3:ListBucket"],
    "resources": ["arn:bucket"],
    "condition": [{"test": "StringLike", "variable": "s3:prefix", "values": ["premerge/*"]}],
}


def policy(**given):
    settings = dict(
        name="bk-q-ci-access",
        role_name="bk-q-Role",
        registry=RegistryAccess(pull=(PULL,)),
        cache=(LIST,),
        hf_secret_arn="arn:secret",
        hf_secret_key_arn="arn:kms",
        region="us-west-2",
        needs_hf_token=False,
    )
    settings.update(given)
    stack, _ = synth(lambda s: CiAccessPolicy(s, "access", **settings))
    (document,) = of_type(stack, "aws_iam_policy_document", "data")
    return stack, {s["sid"]: s for s in document["statement"]}


def test_the_queues_statements_allow_what_they_say_and_nothing_else():
    stack, statements = policy()
    assert set(statements) == {"PullCiImages", "ListBuildCache"}
    assert all(s["effect"] == "Allow" for s in statements.values())
    assert statements["ListBuildCache"]["condition"] == [
        {"test": "StringLike", "values": ["premerge/*"], "variable": "s3:prefix"}
    ]
    (attachment,) = of_type(stack, "aws_iam_role_policy_attachment")
    assert attachment["role"] == "bk-q-Role"


def test_the_hf_token_and_the_signing_keys_only_where_given():
    _, statements = policy(needs_hf_token=True, signing_key_arns=("arn:ssm:public",))
    assert statements["ReadHfToken"]["resources"] == ["arn:secret"]
    assert statements["DecryptHfToken"]["condition"][0]["values"] == ["secretsmanager.us-west-2.amazonaws.com"]
    assert statements["ReadPipelineSigningKeys"]["resources"] == ["arn:ssm:public"]
    assert statements["DecryptPipelineSigningKeys"]["condition"][0]["values"] == ["ssm.us-west-2.amazonaws.com"]
