# Set-up and everyday commands. `make synth` and `make test` are all a fresh
# machine with python3, node and make needs: they install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := synth

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_YES := 1
export PIPENV_IGNORE_VIRTUALENVS := 1
# One environment per lock file, shared by every clone on the machine: the
# provider bindings are ~900 MB and take minutes to install.
export WORKON_HOME ?= $(HOME)/.cache/buildkite-ci-toolkit/venvs
LOCK_HASH := $(shell sha256sum Pipfile.lock | cut -c1-12)
export PIPENV_CUSTOM_VENV_NAME := toolkit-$(LOCK_HASH)
VENV := $(WORKON_HOME)/$(PIPENV_CUSTOM_VENV_NAME)
STAMP := $(VENV)/.synced
PIPENV := python3 -m pipenv
RUN := $(PIPENV) run

.PHONY: setup tools cdktf-cli cdktf synth test security bench ami lock clean clean-envs

$(STAMP): Pipfile.lock
	@python3 -m pipenv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check 'pipenv==2026.10.3'
	$(PIPENV) sync --dev
	@touch $@

# System tools the tests call: shellcheck and packer (Debian's 1.6, which
# validates the AMI template offline) next to the machine's terraform.
tools:
	@command -v shellcheck >/dev/null && command -v packer >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck packer >/dev/null; }

setup: $(STAMP) tools

# The CDKTF CLI (npm cdktf-cli, pinned with its whole tree by the committed
# lock) in tools/cdktf-cli/node_modules: `cdktf synth|diff|deploy`, and the
# test that its synth equals `make synth`.
CDKTF_CLI := tools/cdktf-cli/node_modules/.bin/cdktf
$(CDKTF_CLI): tools/cdktf-cli/package.json tools/cdktf-cli/package-lock.json
	cd tools/cdktf-cli && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

cdktf-cli: $(CDKTF_CLI)

# The CDKTF CLI inside the project's environment: make cdktf ARGS="diff aws-us-west-2"
cdktf: setup cdktf-cli
	$(RUN) $(CDKTF_CLI) $(ARGS)

synth: setup
	$(RUN) python main.py

# Everything, as CI runs it: the formatter and the linter in check mode (ruff),
# the type checker (mypy --strict; both configured in pyproject.toml), then the tests with the CDKTF CLI installed, so that its check
# runs; the checkov gate, the secret scan, the fuzzers and terraform against a
# local AWS API are tests too (tests/security).
test: setup cdktf-cli
	$(RUN) ruff format --check --quiet .
	$(RUN) ruff check --quiet .
	$(RUN) python -m mypy
	CI_TOOLKIT_REQUIRE_TOOLS=1 $(RUN) python -m pytest

# The checkov gate alone, over the default queues.yaml and the all-features
# file: fails on any finding not accepted in security/accepted-findings.yaml.
security: setup
	$(RUN) python -m scripts.security_gate --synth queues.yaml tests/security/all_features_queues.yaml

# One of the toolkit's AMIs, built with packer and written to its SSM parameter:
# make ami REGION=us-west-2 KIND=gpu NVIDIA_DRIVER_SHA256=<sha256 of the driver .run>
ami: setup
	REGION=$(REGION) KIND=$(KIND) NVIDIA_DRIVER_SHA256=$(NVIDIA_DRIVER_SHA256) PYTHON="$(RUN) python" bash scripts/build_ami.sh

bench: setup
	$(RUN) python -m scripts.bench

lock:
	bash scripts/relock.sh

clean:
	rm -rf cdktf.out .pytest_cache

# Each lock file gets its own ~900 MB environment; this removes every one but
# the current lock's (other clones on an older lock rebuild theirs when run).
clean-envs:
	find "$(WORKON_HOME)" -mindepth 1 -maxdepth 1 -type d -name 'toolkit-*' ! -name '$(PIPENV_CUSTOM_VENV_NAME)' -print -exec rm -rf {} +
