"""Every synthesized AWS stack passes `terraform validate` with the real provider."""

from __future__ import annotations

import json

import pytest

from tests.terraform_tools import prepare, require_terraform, tail, terraform


@pytest.mark.slow
def test_aws_stacks_validate(default_synth, tmp_path):
    binary, mirror, version = require_terraform()
    stack_files = sorted(default_synth.glob("stacks/aws-*/cdk.tf.json"))
    assert [f.parent.name for f in stack_files] == ["aws-state", "aws-us-east-1", "aws-us-west-2"]
    for stack_file in stack_files:
        workdir = tmp_path / stack_file.parent.name
        env = prepare(stack_file, workdir, version, mirror)
        init = terraform(binary, workdir, env, "init", "-backend=false", "-input=false", "-no-color")
        assert init.returncode == 0, tail(init.stdout + init.stderr)
        result = terraform(binary, workdir, env, "validate", "-json", "-no-color")
        report = json.loads(result.stdout)
        problems = [f"{d['severity']}: {d['summary']}: {d.get('detail', '')[:200]}" for d in report["diagnostics"]]
        assert report["valid"], problems
        assert not [p for p in problems if p.startswith("error")]
