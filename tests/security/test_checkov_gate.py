"""The checkov gate (scripts/security_gate.py): real checkov over every synthesized stack, and the gate's own rules."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from constructs_lib.queues.problems import LoadError
from scripts import security_gate as gate
from tests.conftest import REPO, skip

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def require_checkov() -> list[str]:
    command = gate.checkov_command()
    if command is None:
        skip("checkov is not installed (pipenv sync --dev installs it; or set CHECKOV to its executable)")
    return command


@pytest.fixture(scope="session")
def scan(default_synth, all_features_synth) -> gate.Scan:
    """One checkov run over every stack of the default and the all-features synth."""
    require_checkov()
    scanned, _ = gate.split_unpoliced(
        gate.stack_files([(default_synth, "queues.yaml"), (all_features_synth, "all_features_queues.yaml")])
    )
    return gate.run_checkov(scanned)


# --- the real thing --------------------------------------------------------------


def platform_part(scan: gate.Scan, prefix: str) -> gate.Scan:
    """The scan restricted to the stacks of one platform (stack ids `aws-*`, `gcp-*`)."""
    return gate.Scan(
        findings=[f for f in scan.findings if f.resource.split(".", 1)[1].startswith(prefix)],
        evaluated={file: n for file, n in scan.evaluated.items() if pathlib.Path(file).parent.name.startswith(prefix)},
        version=scan.version,
    )


def platform_entries(prefix: str) -> list[gate.Accepted]:
    """The accepted entries about one platform's stacks (so that the other's entries do not read as unused)."""
    return [e for e in gate.load_accepted(gate.ACCEPTED_FILE) if e.resource.split(".", 1)[1].startswith(prefix)]


@pytest.mark.slow
def test_every_aws_stack_passes_the_gate(scan):
    problems = gate.judge(
        platform_part(scan, "aws-"), platform_entries("aws-"), TODAY, "security/accepted-findings.yaml"
    )
    assert problems == [], "\n" + "\n".join(problems)
    print(gate.summary(scan, gate.load_accepted(gate.ACCEPTED_FILE)))


# What may be accepted on the GCP stacks at all: a bucket cannot log into
# itself. Disk encryption (CKV_GCP_37/38), the state bucket's logs
# (CKV_GCP_62) and the GKE checks are fixed in the stacks, never accepted.
GCP_ACCEPTABLE = {("CKV_GCP_62", "google_storage_bucket.gcp-state/access-logs/bucket")}


@pytest.mark.slow
def test_every_gcp_stack_passes_the_gate(scan):
    part = platform_part(scan, "gcp-")
    assert part.evaluated, "no GCP stack was synthesized"
    stacks = {pathlib.Path(file).parent.name for file in part.evaluated}
    assert stacks == {"gcp-state", "gcp-tpu", "gcp-gke"}, stacks  # the GKE stack comes from the all-features file
    entries = platform_entries("gcp-")
    assert {(e.check, e.resource) for e in entries} <= GCP_ACCEPTABLE, entries
    problems = gate.judge(part, entries, TODAY, "security/accepted-findings.yaml")
    assert problems == [], "\n" + "\n".join(problems)


@pytest.mark.slow
def test_checkov_evaluated_every_stack_of_both_synths(scan, default_synth, all_features_synth):
    files = {str(p.resolve()) for d in (default_synth, all_features_synth) for p in d.glob("stacks/*/cdk.tf.json")}
    # The buildkite stack alone is not scanned: checkov has no policy for the buildkite provider.
    unscanned = {f for f in files if gate.unpoliced(pathlib.Path(f))}
    assert {pathlib.Path(f).parent.name for f in unscanned} == {"buildkite"}
    files -= unscanned
    assert set(scan.evaluated) == files
    assert all(count > 0 for count in scan.evaluated.values()), scan.evaluated
    stacks = {pathlib.Path(f).parent.name for f in files}
    assert {"aws-state", "aws-us-west-2", "aws-us-east-1", "aws-eu-west-1", "gcp-state", "gcp-tpu", "gcp-gke"} <= stacks
    # Findings name resources by construct path, which the accepted entries match.
    assert all("." in f.resource and "/" in f.resource for f in scan.findings), scan.findings


@pytest.mark.slow
def test_a_weakened_stack_fails_the_gate(default_synth, tmp_path):
    require_checkov()
    stack = json.loads((default_synth / "stacks" / "aws-us-west-2" / "cdk.tf.json").read_text())
    for parameter in stack["resource"]["aws_ssm_parameter"].values():
        del parameter["key_id"]
    for cfn in stack["resource"]["aws_cloudformation_stack"].values():
        del cfn["notification_arns"]
    del stack["resource"]["aws_flow_log"]
    weakened = tmp_path / "out" / "stacks" / "aws-us-west-2" / "cdk.tf.json"
    weakened.parent.mkdir(parents=True)
    weakened.write_text(json.dumps(stack))
    scan = gate.run_checkov(gate.stack_files([(tmp_path / "out", "weakened")]))
    problems = gate.judge(scan, gate.load_accepted(gate.ACCEPTED_FILE), TODAY, "accepted.yaml")
    unaccepted = sorted({line.split()[0] for line in problems if line.startswith("CKV")})
    assert unaccepted == ["CKV2_AWS_11", "CKV_AWS_124", "CKV_AWS_337"]
    assert (
        "CKV_AWS_337 aws_ssm_parameter.aws-us-west-2/secrets/agent-token-0: Ensure SSM parameters are using KMS CMK"
        in "\n".join(problems)
    )


def test_the_accepted_findings_file_is_valid_today():
    entries = gate.load_accepted(gate.ACCEPTED_FILE)
    assert 0 < len(entries) <= 10, "keep the accepted list short enough to read"
    for entry in entries:
        assert TODAY <= entry.expires <= TODAY + gate.MAX_AHEAD, entry
        assert entry.resource.split(".", 1)[1].startswith(("aws-", "gcp-")), (
            entry
        )  # each entry belongs to one platform's stacks


# --- the gate's rules, on findings made by hand ---------------------------------------

FILE = "/out/stacks/aws-us-west-2/cdk.tf.json"


def finding(check="CKV_AWS_18", resource="aws_s3_bucket.aws-us-west-2/build-cache/bucket"):
    return gate.Finding(check=check, resource=resource, title="Ensure something", source="queues.yaml")


def entry(
    check="CKV_AWS_18",
    resource="aws_s3_bucket.aws-*/build-cache/bucket",
    expires=TODAY + datetime.timedelta(days=30),
    line=3,
):
    return gate.Accepted(
        check=check, resource=resource, justification="a reason in enough words", expires=expires, line=line
    )


def judge(findings, entries, evaluated=None):
    scan = gate.Scan(findings=findings, evaluated=evaluated or {FILE: 40}, version="test")
    return gate.judge(scan, entries, TODAY, "accepted.yaml")


def test_accepted_findings_pass_and_globs_cross_folders():
    assert judge([finding(), finding(resource="aws_s3_bucket.aws-eu-west-1/build-cache/bucket")], [entry()]) == []
    assert (
        judge(
            [finding(resource="aws_s3_bucket.aws-state/state/access-logs/logs/bucket")],
            [entry(resource="aws_s3_bucket.aws-state/*")],
        )
        == []
    )


def test_an_unaccepted_finding_fails_with_one_line():
    problems = judge([finding(check="CKV_AWS_145")], [entry()])
    assert problems == [
        "CKV_AWS_145 aws_s3_bucket.aws-us-west-2/build-cache/bucket: Ensure something (from queues.yaml; fix it, or accept it in accepted.yaml)",
        "accepted.yaml:3: CKV_AWS_18 aws_s3_bucket.aws-*/build-cache/bucket: matches no finding any more; remove the entry",
    ]


def test_an_entry_past_its_expiry_fails():
    problems = judge([finding()], [entry(expires=TODAY - datetime.timedelta(days=1))])
    assert problems == [
        f"accepted.yaml:3: CKV_AWS_18 aws_s3_bucket.aws-*/build-cache/bucket: expired on {TODAY - datetime.timedelta(days=1)}; "
        "fix the finding or renew the entry with its reason"
    ]
    assert judge([finding()], [entry(expires=TODAY)]) == []  # valid through its last day


def test_an_entry_dated_more_than_a_year_ahead_fails():
    (problem,) = judge([finding()], [entry(expires=TODAY + datetime.timedelta(days=400))])
    assert problem.endswith("more than a year ahead; review it yearly")


def test_an_entry_that_matches_nothing_fails():
    (problem,) = judge(
        [finding()], [entry(), entry(check="CKV2_AWS_57", resource="aws_secretsmanager_secret.*", line=9)]
    )
    assert (
        problem
        == "accepted.yaml:9: CKV2_AWS_57 aws_secretsmanager_secret.*: matches no finding any more; remove the entry"
    )


def test_a_stack_checkov_evaluated_nothing_in_fails():
    (problem,) = judge([], [], evaluated={FILE: 0})
    assert problem == f"{FILE}: checkov evaluated no check (is it a Terraform JSON stack?)"


def write(tmp_path, text: str) -> pathlib.Path:
    path = tmp_path / "accepted.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def load_problems(path) -> list[str]:
    with pytest.raises(LoadError) as err:
        gate.load_accepted(path, "accepted.yaml")
    return str(err.value).splitlines()


def test_malformed_entries_are_one_line_each(tmp_path):
    path = write(
        tmp_path,
        """\
        accepted:
          - check: CKV_AWS_18
            resource: aws_s3_bucket.x
            expires: "2030-01-01"
          - check: CKV_AWS_18
            resource: aws_s3_bucket.x
            justification: TODO explain this one later please
            expires: "2030-01-01"
          - check: ckv-aws-18
            resource: "*"
            justification: short
            expires: "2030-02-30"
          - check: CKV_AWS_18
            resource: aws_s3_bucket.x
            justification: "first line\\nsecond line of the reason"
            expires: 20300101
            owner: me
        """,
    )
    assert load_problems(path) == [
        "accepted.yaml:2: accepted[0]: justification is missing",
        "accepted.yaml:7: accepted[1].justification: must give the reason in words (at least 5), not 'TODO explain this one later please'",
        "accepted.yaml:9: accepted[2].check: 'ckv-aws-18' is not a checkov check id like CKV_AWS_18 or CKV2_AWS_5",
        "accepted.yaml:10: accepted[2].resource: must name a resource: <terraform type>.<construct path>, globs allowed",
        "accepted.yaml:11: accepted[2].justification: must give the reason in words (at least 5), not 'short'",
        "accepted.yaml:12: accepted[2].expires: not a valid date: day is out of range for month",
        "accepted.yaml:16: accepted[3].expires: must be a string",
        "accepted.yaml:17: accepted[3].owner: unknown key (an entry has check, resource, justification, expires)",
    ]


def test_the_file_must_be_a_list_under_accepted(tmp_path):
    assert load_problems(write(tmp_path, "- check: CKV_AWS_18\n")) == [
        "accepted.yaml:1: the file must be a mapping with one key, accepted: a list of entries"
    ]
    assert load_problems(write(tmp_path, "accepted:\n  - CKV_AWS_18\n")) == [
        "accepted.yaml:2: accepted[0]: each entry is a mapping of check, resource, justification, expires"
    ]
    assert gate.load_accepted(write(tmp_path, "accepted: []\n")) == []


# --- the command line, with a stand-in checkov ------------------------------------------

FAKE_CHECKOV = """\
#!{python}
import json, sys
files = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--file"]
failed = [{{"check_id": "CKV_AWS_18", "check_name": "Ensure the S3 bucket has access logging enabled",
           "resource": "aws_s3_bucket.cache_bucket_1234ABCD", "file_abs_path": f}} for f in files]
passed = [{{"check_id": "CKV_AWS_21", "check_name": "versioning", "resource": "resource.cache_bucket_1234ABCD",
           "file_abs_path": f}} for f in files]
print(json.dumps({{"check_type": "terraform_json", "results": {{"passed_checks": passed, "failed_checks": failed,
      "parsing_errors": []}}, "summary": {{"parsing_errors": 0, "checkov_version": "fake"}}}}))
sys.exit(1)
"""


def run_gate(tmp_path, *args, checkov: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CHECKOV"}
    if checkov:
        env["CHECKOV"] = checkov
    return subprocess.run(
        [sys.executable, "-m", "scripts.security_gate", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def fake_out(tmp_path):
    checkov = tmp_path / "checkov"
    checkov.write_text(FAKE_CHECKOV.format(python=sys.executable))
    checkov.chmod(0o755)
    stack = tmp_path / "out" / "stacks" / "aws-us-west-2" / "cdk.tf.json"
    stack.parent.mkdir(parents=True)
    block = {"//": {"metadata": {"path": "aws-us-west-2/build-cache/bucket"}}, "bucket": "cache"}
    stack.write_text(json.dumps({"resource": {"aws_s3_bucket": {"cache_bucket_1234ABCD": block}}}))
    return checkov, tmp_path / "out"


def test_cli_fails_on_an_unaccepted_finding(tmp_path, fake_out):
    checkov, out = fake_out
    accepted = write(tmp_path, "accepted: []\n")
    result = run_gate(tmp_path, "--accepted", str(accepted), str(out), checkov=str(checkov))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"CKV_AWS_18 aws_s3_bucket.aws-us-west-2/build-cache/bucket: Ensure the S3 bucket has access logging enabled "
        f"(from {out}; fix it, or accept it in {accepted})"
    ]
    assert (
        result.stdout.strip()
        == "checkov fake: 1 stack(s), 2 checks evaluated, 1 failed, 0 of those accepted by 0 entries"
    )


def test_cli_passes_when_every_finding_is_accepted(tmp_path, fake_out):
    checkov, out = fake_out
    accepted = write(
        tmp_path,
        f"""\
        accepted:
          - check: CKV_AWS_18
            resource: aws_s3_bucket.*/build-cache/bucket
            justification: the cache is read by every job, logs would be noise
            expires: "{TODAY + datetime.timedelta(days=10)}"
        """,
    )
    result = run_gate(tmp_path, "--accepted", str(accepted), str(out), checkov=str(checkov))
    assert (result.returncode, result.stderr) == (0, "")
    assert "1 failed, 1 of those accepted by 1 entry" in result.stdout
    expired = run_gate(
        tmp_path,
        "--accepted",
        str(accepted),
        "--today",
        str(TODAY + datetime.timedelta(days=11)),
        str(out),
        checkov=str(checkov),
    )
    assert expired.returncode == 1
    assert "expired on" in expired.stderr


def test_cli_bad_input_is_exit_2_one_line_per_problem(tmp_path, fake_out):
    checkov, out = fake_out
    bad = write(tmp_path, "accepted:\n  - check: CKV_AWS_18\n    resource: x.y\n")
    result = run_gate(tmp_path, "--accepted", str(bad), str(out), checkov=str(checkov))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{bad}:2: accepted[0]: expires is missing",
        f"{bad}:2: accepted[0]: justification is missing",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_gate(tmp_path, str(empty), checkov=str(checkov))
    assert (result.returncode, result.stderr.strip()) == (2, f"{empty}: no stacks/*/cdk.tf.json here")
    queues = tmp_path / "queues.yaml"
    queues.write_text("routing: {default_gpu: l4}\nqueues: {}\n")
    result = run_gate(tmp_path, "--synth", str(queues), checkov=str(checkov))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{queues}:2: queues: needs at least 1 item(s)"


def test_cli_without_checkov_says_so(tmp_path, fake_out):
    _, out = fake_out
    missing = tmp_path / "no-such-checkov"
    result = run_gate(tmp_path, str(out), checkov=str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith("security gate: ")
    assert "Traceback" not in result.stderr


def test_cli_names_a_stack_of_a_provider_checkov_does_not_police(tmp_path, fake_out):
    checkov, out = fake_out
    stack = out / "stacks" / "buildkite" / "cdk.tf.json"
    stack.parent.mkdir(parents=True)
    stack.write_text(
        json.dumps(
            {
                "terraform": {"required_providers": {"buildkite": {"source": "buildkite/buildkite"}}},
                "resource": {"buildkite_cluster": {"c": {"name": "ci"}}},
            }
        )
    )
    accepted = write(tmp_path, "accepted: []\n")
    result = run_gate(tmp_path, "--accepted", str(accepted), str(out), checkov=str(checkov))
    # Not given to checkov (the fake reports the files it was given: one stack), and said so.
    assert f"{stack}: not scanned: checkov has no policy for provider buildkite" in result.stdout
    assert "1 stack(s)" in result.stdout
    # A stack that also uses a policed provider is scanned as before.
    assert gate.unpoliced(out / "stacks" / "aws-us-west-2" / "cdk.tf.json") is None
    stack.write_text(json.dumps({"terraform": {"required_providers": {"buildkite": {}, "aws": {}}}}))
    assert gate.unpoliced(stack) is None
