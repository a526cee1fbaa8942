"""The CI bootstrap's pipeline generator: test steps + queues.yaml -> Buildkite pipeline.

Modules, each with one job:

- `lenient_yaml`: read step files as PyYAML does, keeping line numbers;
- `steps`: one test step, and the readers of its values;
- `step_model`: the fields of a step and of its mirrors, as pydantic models
  (problems said by `constructs_lib.queues.translate`, as queues.yaml's are);
- `step_reader`: a step file's steps, the checks that span fields;
- `formats`: the single-file and current (ci_config.yaml) layouts;
- `jobs`: test steps -> the jobs of a build (mirrors, image builds, hardware tests);
- `keys`: stable, unique step keys;
- `routing`: job needs + queues.yaml -> queue;
- `runners`: how a container job runs on its queue (docker or kubernetes plugin settings);
- `registry_login`: the login an image build needs before it pushes;
- `selection`: changed files -> run now, or wait behind a block step;
- `plan`: the jobs with their queues and decisions;
- `render`: the pipeline as plain data (checked against buildkite-sdk's schema by `pipeline_schema`);
- `pipeline_schema`: the check against the schema buildkite-sdk ships;
- `yaml_writer`: the pipeline as YAML text (libyaml's emitter; the string styles are ours);
- `explain`: the Markdown summary;
- `generate`: the pure core tying these together;
- `checkout_paths`: the tested checkout's scripts and Dockerfiles the generator's steps run;
- `controls`: the build controls read from the environment (RUN_ALL, NOAUTO, ...);
- `interpolation`: the upload-time variables it resolves itself, quoted for the shell;
- `cli`: the command line (files in, files out);
- `entry`: `cli` as one short-lived process: the `ci-bootstrap` command and
  `python -m constructs_lib.bootstrap`.

Installed on its own (`pip install <toolkit checkout>`, see pyproject.toml) it
brings the pure queue model (`constructs_lib.queues`) and nothing of cdktf.
"""
