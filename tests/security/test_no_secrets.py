"""No secret material anywhere: planted tokens never reach an output, a startup script or a variable default.

Both synths (the default queues.yaml and the all-features file) run through
`python main.py` with fake token values planted in the environment
(tests/conftest.py PLANTED_SECRETS).
"""

from __future__ import annotations

import base64
import json
import pathlib
import re
import urllib.parse
from typing import Iterator

import pytest

from tests.conftest import PLANTED_SECRETS, REPO
from tests.security.stack_json import stacks_of

SYNTHS = ["default_synth", "all_features_synth"]
# Keys under which a boot script travels in Terraform JSON (AWS user data, GCE/TPU metadata).
SCRIPT_KEYS = {"startup-script", "startup_script", "metadata_startup_script", "user_data", "user_data_base64"}
# Literal credentials of the kinds this toolkit handles, whatever their value.
TOKEN_SHAPES = {
    "Buildkite token": re.compile(r"\bbk(ua|ct|at)_[A-Za-z0-9]{20,}"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    # A private JWK (the signing key of signed pipelines) holds its private part as "d"; public JWKs have none.
    "private JWK": re.compile(r'\\?"d\\?"\s*:\s*\\?"[A-Za-z0-9_-]{30,}'),
}
# Resources that would put a secret's value into the plan and the state.
VALUE_RESOURCES = {"aws_secretsmanager_secret_version", "google_secret_manager_secret_version"}
TOKENISH = re.compile(r"token|secret|password|credential|api[_-]?key", re.IGNORECASE)


def forms(secret: str) -> set[bytes]:
    """The planted value as it could appear in a file: raw, JSON- or URL-escaped, or inside base64 at any offset."""
    raw = secret.encode()
    out = {raw, json.dumps(secret)[1:-1].encode(), urllib.parse.quote(secret, safe="").encode()}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        # Drop the characters that mix in the padding bytes before and the unknown bytes after.
        out.add(encoded[(offset * 4 + 2) // 3 + 1 : -4])
    return out


PLANTED_FORMS = {name: forms(value) for name, value in PLANTED_SECRETS.items()}


def leaks(data: bytes) -> list[str]:
    return [name for name, variants in PLANTED_FORMS.items() if any(v in data for v in variants)]


def walk(value, key: str = "") -> Iterator[tuple[str, object]]:
    yield key, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


def startup_scripts(stacks: dict[str, dict]) -> dict[str, str]:
    found = {}
    for stack_id, stack in stacks.items():
        for index, (key, value) in enumerate(walk(stack)):
            if key in SCRIPT_KEYS and isinstance(value, str):
                found[f"{stack_id}#{key}@{index}"] = value
    return found


def script_templates() -> dict[str, str]:
    paths = {
        *REPO.glob("constructs_lib/**/*.sh"),
        *REPO.glob("constructs_lib/**/startup/*"),
        *REPO.glob("scripts/*.sh"),
    }
    return {str(p.relative_to(REPO)): p.read_text() for p in sorted(paths) if p.is_file()}


@pytest.fixture(params=SYNTHS)
def outdir(request) -> pathlib.Path:
    return request.getfixturevalue(request.param)


def test_the_detector_finds_what_it_looks_for():
    secret = PLANTED_SECRETS["HF_TOKEN"]
    for wrapped in (
        f"x={secret};",
        json.dumps({"k": f"a\n{secret}"}),
        base64.b64encode(f"ab{secret}cd".encode()).decode(),
    ):
        assert leaks(wrapped.encode()) == ["HF_TOKEN"], wrapped
    assert leaks(b"HF_TOKEN hf-token /buildkite/agent-token") == []
    assert TOKEN_SHAPES["Hugging Face token"].search("export HF_TOKEN=hf_" + "a" * 34)
    private_jwk = {"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "A" * 43, "d": "B" * 43}
    for text in (json.dumps(private_jwk), json.dumps({"steps": json.dumps({"keys": [private_jwk]})})):
        assert TOKEN_SHAPES["private JWK"].search(text), text
    public_jwk = {k: v for k, v in private_jwk.items() if k != "d"}
    assert not TOKEN_SHAPES["private JWK"].search(json.dumps({"keys": [public_jwk]}))


def test_planted_tokens_reach_no_output_file(outdir):
    files = [p for p in sorted(outdir.rglob("*")) if p.is_file()]
    assert any(p.name == "cdk.tf.json" for p in files)
    for path in files:
        data = path.read_bytes()
        assert leaks(data) == [], f"planted token leaked into {path.relative_to(outdir)}"
        for what, shape in TOKEN_SHAPES.items():
            assert not shape.search(data.decode("utf-8", "replace")), f"a {what} literal in {path.relative_to(outdir)}"


def test_planted_tokens_reach_no_console_output(all_features_run):
    _, result = all_features_run
    assert leaks((result.stdout + result.stderr).encode()) == []


def test_no_startup_script_or_template_holds_a_token(outdir):
    stacks = stacks_of(outdir)
    scripts = {**startup_scripts(stacks), **script_templates()}
    if any(stack_id.startswith("gcp-tpu") for stack_id in stacks):
        assert any("#" in name for name in scripts), "the TPU stack has agents, so it has boot scripts"
    for name, text in scripts.items():
        assert leaks(text.encode()) == [], name
        for what, shape in TOKEN_SHAPES.items():
            assert not shape.search(text), f"a {what} literal in {name}"


def test_no_variable_default_holds_a_token(outdir):
    for stack_id, stack in stacks_of(outdir).items():
        for name, variable in stack.get("variable", {}).items():
            default = json.dumps(variable.get("default", ""))
            assert leaks(default.encode()) == [], f"{stack_id} variable {name}"
            if TOKENISH.search(name):
                assert "default" not in variable, f"{stack_id}: token variable {name} has a default"
                assert variable.get("sensitive") is True, f"{stack_id}: token variable {name} is not sensitive"


def test_no_resource_carries_a_secret_value(outdir):
    for stack_id, stack in stacks_of(outdir).items():
        assert not VALUE_RESOURCES & set(stack.get("resource", {})), stack_id


def test_token_parameters_are_secure_strings_with_a_write_only_placeholder(default_synth, all_features_synth):
    parameters = []
    for outdir in (default_synth, all_features_synth):
        for stack_id, stack in stacks_of(outdir).items():
            parameters += [(stack_id, p) for p in stack.get("resource", {}).get("aws_ssm_parameter", {}).values()]
    token_parameters = [(s, p) for s, p in parameters if TOKENISH.search(p["name"] + " " + p.get("description", ""))]
    names = sorted({p["name"] for _, p in token_parameters})
    assert names == [
        "/bk_agent_token_cluster_ci",
        "/bk_agent_token_cluster_ci_us_east_1",
        "/bk_agent_token_cluster_release",
        "/buildkite/agent-token",
        "/buildkite/postmerge/agent-token",
        "/buildkite/release/agent-token",
    ]
    jwks = [(s, p) for s, p in parameters if "JWKS" in p.get("description", "")]
    assert sorted({p["name"] for _, p in jwks}) == [
        "/buildkite/pipeline-signing/private-jwks",
        "/buildkite/pipeline-signing/public-jwks",
    ]
    # The private key is held in the bootstrap queue's region alone.
    assert [s for s, p in jwks if p["name"].endswith("private-jwks")] == ["aws-us-west-2"]
    for stack_id, parameter in token_parameters + jwks:
        assert parameter["type"] == "SecureString", (stack_id, parameter["name"])
        assert "insecure_value" not in parameter
        assert leaks(json.dumps(parameter).encode()) == []
        # A write-only placeholder: Terraform keeps nothing of it, nor reads back the token set out of band.
        assert "value" not in parameter and parameter["value_wo"] == "set-by-operator"
