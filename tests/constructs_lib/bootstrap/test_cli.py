"""The command line: exit status 2 and one line per problem, atomic outputs, nothing half-written."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from constructs_lib.bootstrap.cli import SWITCHES, _arguments, main, read_changed_files
from constructs_lib.queues.problems import LoadError

from .helpers import QUEUES_2024, REPO, layout

GOOD = "steps:\n- label: A\n  source_file_dependencies: [a/]\n  command: a\n- label: B\n  command: b\n"
BAD = "steps:\n- label: A\n  command: a\n  num_gpus: lots\n- label: B\n  gpu: nothing-has-this\n  command: b\n"


def write(tmp_path, text, name="test-pipeline.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_writes_pipeline_and_summary(tmp_path, capsys):
    changed = write(tmp_path, "a/x.py\n\n", "changed.txt")
    out, md = tmp_path / "pipeline.yaml", tmp_path / "summary.md"
    code = main(
        [
            "--pipeline",
            write(tmp_path, GOOD),
            "--queues",
            str(QUEUES_2024),
            "--changed-files",
            changed,
            "--output",
            str(out),
            "--explain",
            str(md),
        ]
    )
    assert code == 0
    pipeline = yaml.safe_load(out.read_text())
    assert any(s.get("key") == "a" for s in pipeline["steps"])
    assert "### Pipeline" in md.read_text()
    assert capsys.readouterr().out == ""


def test_a_json_output_is_the_same_pipeline_as_json(tmp_path):
    import json

    args = ["--pipeline", write(tmp_path, GOOD), "--queues", str(QUEUES_2024), "--branch", "feature"]
    assert main(args + ["--output", str(tmp_path / "p.yaml")]) == 0
    assert main(args + ["--output", str(tmp_path / "p.json")]) == 0
    as_json = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert as_json == yaml.safe_load((tmp_path / "p.yaml").read_text(encoding="utf-8"))
    assert any(s.get("key") == "a" for s in as_json["steps"])


def test_changed_files_one_path_per_line(tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_bytes(b"vllm/a.py\r\n\n  \ndocs/caf\xc3\xa9 b.md\nlast")
    assert read_changed_files(str(changed)) == (("vllm/a.py", "docs/caf\u00e9 b.md", "last"), ())
    assert read_changed_files(None) == ((), ())


def test_changed_files_nul_separated_keep_newlines_and_spaces(tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_bytes(b"new\nline.py\0 lead.py\0tab\t.py\0")
    assert read_changed_files(str(changed)) == (("new\nline.py", " lead.py", "tab\t.py"), ())


@pytest.mark.parametrize("data, line, name", [(b"\xff\n", 1, "\\xff"), (b"a\nb\r\nc/\xe9.py\nd\n", 3, "c/\\xe9.py")])
def test_changed_files_not_utf8_is_a_warning_and_still_matches_its_folder(tmp_path, data, line, name):
    changed = tmp_path / "changed.txt"
    changed.write_bytes(data)
    files, warnings = read_changed_files(str(changed))
    assert name in files
    assert [str(p) for p in warnings] == [
        f"{changed}:{line}: changed file name {name!r} is not UTF-8; matched as written here"
    ]


def test_changed_files_missing(tmp_path):
    with pytest.raises(LoadError) as err:
        read_changed_files(str(tmp_path / "nope.txt"))
    assert [str(p) for p in err.value.problems] == [f"{tmp_path / 'nope.txt'}: cannot read: No such file or directory"]


def test_bad_input_exit_2_one_line_per_problem_nothing_written(tmp_path, capsys):
    out = tmp_path / "pipeline.yaml"
    out.write_text("previous\n")
    pipeline = write(tmp_path, BAD)
    code = main(
        [
            "--pipeline",
            pipeline,
            "--queues",
            str(QUEUES_2024),
            "--output",
            str(out),
            "--explain",
            str(tmp_path / "s.md"),
            "--strict",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{pipeline}:4: steps[0].num_gpus: must be a whole number, not a string",
        f"{pipeline}:5: steps[1]: no declared queue can run 'B': no general queue offers accelerator 'nothing-has-this'",
    ]
    assert out.read_text() == "previous\n"
    assert not (tmp_path / "s.md").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []


def test_a_bad_step_is_an_error_line_and_a_failing_step_otherwise(tmp_path, capsys):
    out = tmp_path / "pipeline.yaml"
    pipeline = write(tmp_path, BAD)
    assert main(["--pipeline", pipeline, "--queues", str(QUEUES_2024), "--output", str(out)]) == 0
    assert (
        f"error: {pipeline}:4: steps[0].num_gpus: must be a whole number, not a string"
        in capsys.readouterr().err.splitlines()
    )
    assert "CI_FAILURE_REASON" in out.read_text()


def test_unroutable_is_bad_input_under_strict(tmp_path, capsys):
    pipeline = write(tmp_path, "steps:\n- label: B\n  gpu: nothing-has-this\n  command: b\n")
    assert (
        main(["--pipeline", pipeline, "--queues", str(QUEUES_2024), "--output", str(tmp_path / "o"), "--strict"]) == 2
    )
    assert "no declared queue can run 'B'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unroutable_is_an_error_line_and_a_failing_step_otherwise(tmp_path, capsys):
    pipeline = write(tmp_path, "steps:\n- label: A\n  command: a\n- label: B\n  gpu: nothing-has-this\n  command: b\n")
    out = tmp_path / "o.yaml"
    assert main(["--pipeline", pipeline, "--queues", str(QUEUES_2024), "--output", str(out)]) == 0
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "no declared queue can run 'B'" in errors[0]
    keys = {s.get("key") for s in yaml.safe_load(out.read_text())["steps"]}
    assert {"a", "b"} <= keys


def test_bad_queues_file(tmp_path, capsys):
    queues = write(tmp_path, "queues: {}\n", "queues.yaml")
    assert main(["--pipeline", write(tmp_path, GOOD), "--queues", queues]) == 2
    assert capsys.readouterr().err.startswith(f"{queues}:")


def test_image_options_are_checked(tmp_path, capsys):
    assert (
        main(
            [
                "--pipeline",
                write(tmp_path, GOOD),
                "--queues",
                str(QUEUES_2024),
                "--registry",
                "a b",
                "--repository",
                "$x",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.splitlines() == [
        "--registry: 'a b' is not an image registry like registry.example.com/ci",
        "--repository: '$x' is not an image repository name like ci-test-repo",
    ]


def test_missing_files_are_problems(tmp_path, capsys):
    assert main(["--pipeline", str(tmp_path / "nope.yaml"), "--queues", str(QUEUES_2024)]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"


def test_changed_files_from_stdin_and_pipeline_to_stdout(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"b/x.py\n")))
    assert main(["--pipeline", write(tmp_path, GOOD), "--queues", str(QUEUES_2024), "--changed-files", "-"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert any(s.get("key") == "block-a" for s in printed["steps"])


def test_explain_alone_prints_the_summary(tmp_path, capsys):
    assert main(["--pipeline", write(tmp_path, GOOD), "--queues", str(QUEUES_2024), "--explain"]) == 0
    assert capsys.readouterr().out.startswith("### Pipeline")


def test_both_to_stdout_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--pipeline", write(tmp_path, GOOD), "--queues", str(QUEUES_2024), "--output", "-", "--explain", "-"])
    assert exit_.value.code == 2


def test_warnings_go_to_stderr(tmp_path, capsys):
    assert (
        main(
            [
                "--pipeline",
                write(tmp_path, GOOD + "  shiny: 1\n"),
                "--queues",
                str(QUEUES_2024),
                "--output",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert "warning: " in capsys.readouterr().err


def test_process_exit_status_no_traceback_and_no_cdktf(tmp_path):
    bad = write(tmp_path, BAD)
    program = (
        "import sys, runpy\n"
        "sys.argv = ['x'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('constructs_lib.bootstrap', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'constructs', 'jsii', 'cdktf_cdktf_provider_aws', 'cdktf_cdktf_provider_google'))\n"
        "    print('HEAVY', heavy, file=sys.stderr); raise\n"
    )
    for pipeline, status in ((bad, 2), (write(tmp_path, GOOD, "good.yaml"), 0)):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                program,
                "--pipeline",
                pipeline,
                "--queues",
                str(QUEUES_2024),
                "--output",
                str(tmp_path / "o.yaml"),
                "--strict",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert done.returncode == status, done.stderr
        assert "Traceback" not in done.stderr
        assert "HEAVY []" in done.stderr


def test_same_bytes_across_processes(tmp_path):
    pipeline = write(tmp_path, GOOD + "- label: M\n  mirror_hardwares: [amd, amdexperimental]\n  command: m\n")
    changed = write(tmp_path, "b/x.py\na/y.py\n", "changed.txt")
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}.yaml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "constructs_lib.bootstrap",
                "--pipeline",
                pipeline,
                "--queues",
                str(QUEUES_2024),
                "--changed-files",
                changed,
                "--output",
                str(out),
                "--explain",
                str(out) + ".md",
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append((out.read_bytes(), pathlib.Path(str(out) + ".md").read_bytes()))
    assert outputs[0] == outputs[1]


def _good_args(tmp_path) -> list[str]:
    return ["--pipeline", write(tmp_path, GOOD), "--queues", str(QUEUES_2024)]


def test_output_to_dev_null_leaves_the_device(tmp_path, capsys):
    import stat

    assert main(_good_args(tmp_path) + ["--output", "/dev/null", "--explain", "/dev/null"]) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize(
    "where, words",
    [
        ("folder", "cannot write {path}: is a folder"),
        ("missing/pipeline.yaml", "cannot write {path}: its folder does not exist"),
    ],
)
def test_a_bad_output_path_is_one_line_and_nothing_is_written(tmp_path, capsys, where, words):
    (tmp_path / "folder").mkdir()
    summary = tmp_path / "summary.md"
    path = str(tmp_path / where)
    assert main(_good_args(tmp_path) + ["--output", path, "--explain", str(summary)]) == 2
    assert capsys.readouterr().err.splitlines() == ["--output: " + words.format(path=path)]
    assert not summary.exists()


def test_a_full_disk_for_the_summary_writes_no_pipeline_either(tmp_path, capsys):
    out = tmp_path / "pipeline.yaml"
    out.write_text("previous\n")
    assert main(_good_args(tmp_path) + ["--output", str(out), "--explain", "/dev/full"]) == 2
    assert capsys.readouterr().err.splitlines() == ["/dev/full: cannot write: No space left on device"]
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_interrupt_is_one_line_and_status_130(tmp_path, capsys, monkeypatch):
    import constructs_lib.bootstrap.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "generate", interrupted)
    out = tmp_path / "pipeline.yaml"
    assert main(_good_args(tmp_path) + ["--output", str(out)]) == 130
    assert capsys.readouterr().err == "interrupted; nothing was written\n"
    assert not out.exists()


def test_labels_in_the_summary_are_text_not_markdown(tmp_path, capsys):
    hostile = "steps:\n- label: '[click](https://evil.example/) *bold* <b>x</b> a|b'\n  command: echo\n"
    summary = tmp_path / "summary.md"
    assert (
        main(
            [
                "--pipeline",
                write(tmp_path, hostile),
                "--queues",
                str(QUEUES_2024),
                "--output",
                "/dev/null",
                "--explain",
                str(summary),
            ]
        )
        == 0
    )
    text = summary.read_text()
    assert "[click](" not in text and "https://" not in text and "<b>" not in text and "*bold*" not in text
    assert r"\[click\]\(https\://evil\.example/\) \*bold\* &lt;b&gt;x&lt;/b&gt; a\|b" in text


def _layout_with_job_dirs(root, dirs: str):
    layout(
        root,
        {
            ".buildkite/ci_config.yaml": f"job_dirs: {dirs}\n",
            ".buildkite/jobs/a.yaml": "group: A\nsteps:\n- label: A\n  commands: [a]\n",
        },
    )
    return root


def test_job_dirs_stay_inside_the_repository(tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("steps: []\n")
    repo = _layout_with_job_dirs(tmp_path / "repo", '["/", "../outside", ".buildkite/out", ".buildkite/jobs"]')
    os.symlink(outside, repo / ".buildkite" / "out")
    code = main(["--pipeline", str(repo / ".buildkite/ci_config.yaml"), "--queues", str(QUEUES_2024)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(err) == 3 and all("is not a folder inside the repository" in line for line in err)


def test_a_job_dir_listed_twice_is_read_once(tmp_path, capsys):
    repo = _layout_with_job_dirs(tmp_path / "repo", '[".buildkite/jobs", ".buildkite/jobs/"]')
    assert (
        main(["--pipeline", str(repo / ".buildkite/ci_config.yaml"), "--queues", str(QUEUES_2024), "--output", "-"])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.count("key: a\n") == 1 and "listed already; read once" in captured.err


def test_a_job_file_linked_from_outside_is_not_read(tmp_path, capsys):
    secret = tmp_path / "secret.yaml"
    secret.write_text("steps: []\n")
    repo = _layout_with_job_dirs(tmp_path / "repo", '[".buildkite/jobs"]')
    os.symlink(secret, repo / ".buildkite" / "jobs" / "b.yaml")
    assert main(["--pipeline", str(repo / ".buildkite/ci_config.yaml"), "--queues", str(QUEUES_2024)]) == 2
    assert "a link to outside the repository" in capsys.readouterr().err


def test_a_fifo_is_refused_at_once_never_waited_for(tmp_path, capsys):
    fifo = tmp_path / "queues.yaml"
    os.mkfifo(fifo)
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("steps:\n- label: A\n  commands: [a]\n")
    assert main(["--pipeline", str(pipeline), "--queues", str(fifo)]) == 2  # would block forever if opened blocking
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("not a regular file (a FIFO, device or folder is not read)")


def test_the_job_files_together_are_bounded(tmp_path, capsys, monkeypatch):
    from constructs_lib.bootstrap import cli

    monkeypatch.setattr(cli, "MAX_STEP_BYTES", 100)
    repo = _layout_with_job_dirs(tmp_path / "repo", '[".buildkite/jobs"]')
    (repo / ".buildkite/jobs/b.yaml").write_text("group: B\nsteps:\n- label: B\n  commands: [b]\n" + "# pad\n" * 20)
    assert main(["--pipeline", str(repo / ".buildkite/ci_config.yaml"), "--queues", str(QUEUES_2024)]) == 2
    assert "hold more than" in capsys.readouterr().err


def test_an_output_that_names_an_input_or_the_other_output_is_refused(tmp_path, capsys):
    pipeline = tmp_path / "p.yaml"
    text = "steps:\n- label: A\n  commands: [a]\n"
    pipeline.write_text(text)
    assert main(["--pipeline", str(pipeline), "--queues", str(QUEUES_2024), "--output", str(pipeline)]) == 2
    assert pipeline.read_text() == text
    out = tmp_path / "out.yaml"
    assert (
        main(["--pipeline", str(pipeline), "--queues", str(QUEUES_2024), "--output", str(out), "--explain", str(out)])
        == 2
    )
    assert not out.exists()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("--output: ") and "is also --pipeline" in lines[0]
    assert lines[1].startswith("--explain: ") and "is also --output" in lines[1]


def test_the_profiles_variables_are_read_from_the_bootstraps_environment(tmp_path, monkeypatch):
    """vLLM's ROCm base refresh: ROCM_BASE_REFRESH_SKIP=1 where the bootstrap runs gives it 15 minutes."""
    config = layout(
        tmp_path,
        {
            ".buildkite/ci_config.yaml": "job_dirs: ['.buildkite/jobs']\n",
            ".buildkite/jobs/amd.yaml": "group: AMD\nsteps:\n- label: refresh\n  key: refresh-rocm-base-amd\n"
            "  device: amd_cpu\n  no_plugin: true\n  commands: [bash refresh.sh]\n",
        },
    )
    out = tmp_path / "pipeline.yaml"

    def refresh() -> dict:
        assert main(["--pipeline", str(config), "--queues", str(REPO / "queues.yaml"), "--output", str(out)]) == 0
        steps = yaml.safe_load(out.read_text())["steps"]
        return next(s for g in steps for s in g.get("steps", [g]) if s.get("key") == "refresh-rocm-base-amd")

    monkeypatch.delenv("ROCM_BASE_REFRESH_SKIP", raising=False)
    assert refresh()["timeout_in_minutes"] == 540
    monkeypatch.setenv("ROCM_BASE_REFRESH_SKIP", "1")
    assert refresh()["timeout_in_minutes"] == 15


@pytest.mark.parametrize("flag, variable", [(flag, variable) for flag, variable, _ in SWITCHES])
def test_each_switch_is_on_when_its_variable_is_1(monkeypatch, flag, variable):
    for _, other, _ in SWITCHES:
        monkeypatch.delenv(other, raising=False)
    attribute = flag[2:].replace("-", "_")
    assert getattr(_arguments(["--pipeline", "p", "--queues", "q"]), attribute) is False
    monkeypatch.setenv(variable, "1")
    assert getattr(_arguments(["--pipeline", "p", "--queues", "q"]), attribute) is True
    monkeypatch.setenv(variable, "true")  # as vLLM's generator reads it: "1" only
    assert getattr(_arguments(["--pipeline", "p", "--queues", "q"]), attribute) is False
