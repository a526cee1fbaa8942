"""constructs_lib.infra.jsii.providers: lazy imports and slim assemblies change nothing but speed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from constructs_lib.infra.jsii import providers, slim_assembly
from scripts import synth_process
from tests.conftest import REPO, run_synth
from tests.constructs_lib.queues.minimal_queues import MINIMAL
from tests.test_main import all_files

SITE_TARBALLS = "/_jsii/"


@pytest.mark.slow
def test_slim_synth_is_byte_identical_to_eager_imports(tmp_path, default_synth):
    eager = run_synth(REPO / "queues.yaml", tmp_path / "eager", extra_env={providers.EAGER_ENV: "1"})
    assert eager.returncode == 0, eager.stderr
    # The project's way from a cold cache: the slim tarballs are built in this run.
    cache = tmp_path / "cache"
    cold = run_synth(REPO / "queues.yaml", tmp_path / "cold", extra_env={slim_assembly.CACHE_ENV: str(cache)})
    assert cold.returncode == 0, cold.stderr
    assert "note:" not in cold.stderr  # the slim assemblies were used, not the fallback
    assert sorted(p.name.split("@")[1] for p in (cache / "jsii-slim").iterdir()) == [
        "cdktf__provider-aws",
        "cdktf__provider-google",
    ]

    expected = all_files(tmp_path / "eager")
    assert any(name.startswith("stacks/gcp-") for name in expected) and any(
        name.startswith("stacks/aws-") for name in expected
    )
    for synthesized in (all_files(default_synth), all_files(tmp_path / "cold")):
        assert synthesized.keys() == expected.keys()
        for name in expected:
            assert synthesized[name] == expected[name], name
    assert cold.stdout.replace(str(tmp_path / "cold"), "OUT") == eager.stdout.replace(str(tmp_path / "eager"), "OUT")


@pytest.mark.slow
@pytest.mark.parametrize("spoil", ["open_to_others", "truncated_tarballs"])
def test_a_bad_cache_falls_back_to_the_full_assemblies_with_one_note_each(tmp_path, default_synth, spoil):
    cache = tmp_path / "cache"
    env = {slim_assembly.CACHE_ENV: str(cache)}
    folder = cache / "jsii-slim"
    if spoil == "open_to_others":
        folder.mkdir(parents=True)
        folder.chmod(0o777)
    else:
        assert run_synth(REPO / "queues.yaml", tmp_path / "first", extra_env=env).returncode == 0
        for tarball in folder.iterdir():
            tarball.write_bytes(tarball.read_bytes()[:4096])
    result = run_synth(REPO / "queues.yaml", tmp_path / "out", extra_env=env)
    assert result.returncode == 0, result.stderr
    notes = result.stderr.splitlines()
    assert [line.split(":")[0] for line in notes] == ["note", "note"], result.stderr  # one line per binding
    assert {line.split(" assembly: ")[0] for line in notes} == {
        "note: loading the full @cdktf/provider-aws",
        "note: loading the full @cdktf/provider-google",
    }
    assert all_files(tmp_path / "out") == all_files(default_synth)
    if spoil == "truncated_tarballs":
        assert list(folder.iterdir()) == []  # discarded: the next run builds them again


PROBE = textwrap.dedent(
    """
    import json, sys
    import jsii
    from jsii._kernel import Kernel

    loads = []
    full_load = Kernel.load

    def record(self, name, version, tarball):
        loads.append([name, tarball])
        return full_load(self, name, version, tarball)

    Kernel.load = record
    from constructs_lib.infra.app import build
    from constructs_lib.queues.loader import parse_queues
    build(parse_queues(sys.stdin.buffer.read(), "queues.yaml"), sys.argv[1]).synth()
    print(json.dumps({"loads": loads, "patched": "load" in vars(jsii.kernel), "modules": sorted(sys.modules)}))
    """
)


def probe(text: str, tmp_path, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "out")],
        input=text.encode(),
        cwd=REPO,
        env=synth_process.environment(**env),
        capture_output=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_aws_only_loads_the_slim_aws_assembly_and_nothing_of_google(tmp_path):
    seen = probe(MINIMAL, tmp_path)
    by_name = dict(seen["loads"])
    assert sorted(by_name) == ["@cdktf/provider-aws", "cdktf", "constructs"]
    aws = by_name["@cdktf/provider-aws"]
    assert aws.startswith(str(slim_assembly.cache_dir() / "jsii-slim")), aws
    assert SITE_TARBALLS in by_name["cdktf"]  # other assemblies are untouched
    assert not seen["patched"]  # the kernel is back to normal once the binding is loaded
    assert not [m for m in seen["modules"] if m.startswith("cdktf_cdktf_provider_google")]
    imported = {m.split(".")[1] for m in seen["modules"] if m.startswith("cdktf_cdktf_provider_aws.")}
    assert imported - {"_jsii"} <= set(providers.AWS_CLASSES.values())


def test_slim_assemblies_can_be_switched_off(tmp_path):
    seen = probe(MINIMAL, tmp_path, **{providers.SLIM_ENV: "0"})
    assert SITE_TARBALLS in dict(seen["loads"])["@cdktf/provider-aws"]


def test_as_cdktf_synth_runs_it_the_output_goes_to_cdktf_outdir(tmp_path, default_synth):
    # cdktf synth runs cdktf.json's `python3 main.py` in the project folder with CDKTF_OUTDIR set.
    env = synth_process.environment(CDKTF_OUTDIR=str(tmp_path / "cdktf-synth-out"))
    result = subprocess.run([sys.executable, "main.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert all_files(tmp_path / "cdktf-synth-out") == all_files(default_synth)


def test_the_slim_path_is_on_for_the_tested_jsii_only(monkeypatch):
    from constructs_lib.infra.jsii import providers

    monkeypatch.delenv(providers.SLIM_ENV, raising=False)
    assert providers.slim_off_reason() is None  # the lock's jsii is the tested one
    monkeypatch.setattr(providers, "TESTED_JSII", "0.0.1")
    assert "the slim assemblies were tested with jsii 0.0.1 only" in providers.slim_off_reason()


FALLBACK = textwrap.dedent(
    """
    import sys
    from constructs_lib.infra.jsii import providers
    providers.TESTED_JSII = "0.0.1"  # as if another jsii were installed
    from constructs_lib.infra.app import synth
    from constructs_lib.queues.loader import load_queues
    synth(load_queues("queues.yaml"), sys.argv[1])
    """
)


@pytest.mark.slow
def test_another_jsii_loads_the_full_assemblies_with_one_note(tmp_path, default_synth):
    from scripts import synth_process

    done = subprocess.run(
        [sys.executable, "-c", FALLBACK, str(tmp_path / "out")],
        cwd=REPO,
        env=synth_process.environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "note: loading the full provider assemblies: jsii 1.142.0 is installed; the slim assemblies were tested with jsii 0.0.1 only"
    ]
    assert all_files(tmp_path / "out") == all_files(default_synth)
