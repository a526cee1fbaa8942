#!/usr/bin/env bash
# The CI bootstrap: the first job of every build. Computes the changed files,
# generates the pipeline from the repository's test steps and queues.yaml,
# and uploads it. On any failure it annotates the build (style error) and
# exits non-zero; a pipeline is uploaded whole or not at all.
#
# Run it from the root of the tested repository's checkout. Settings:
#   PIPELINE_FILE   the test steps (default: .buildkite/ci_config.yaml when it
#                   exists, else .buildkite/test-pipeline.yaml)
#   QUEUES_FILE     queues.yaml (default: the one beside this toolkit)
#   RUN_ALL=1, NIGHTLY=1, TORCH_NIGHTLY=1, DOCS_ONLY_DISABLE=1, NOAUTO=1,
#   PRIORITY=HIGH, VLLM_CI_ONLY_STEP_KEYS='["key"]', PULL_REQUEST_LABELS=a,b,
#   CONTINUE_ON_FAILURE=1, SKIP_TIMEOUT=1, VLLM_CI_ENABLE_ROCM_DEBUG_AGENT=1,
#   ROCM_BASE_REFRESH_SKIP=1
#                   the controls of vLLM's generator (the README lists them)
#   CI_REGISTRY, CI_REPOSITORY  where the CI image goes (default: the step files')
#   CI_BOOTSTRAP    the generator command (default: ci-bootstrap, from
#                   `pip install <this toolkit's checkout>`)
#   GIT_REMOTE      the remote that has the default branch (origin)
# Buildkite sets BUILDKITE_BRANCH, BUILDKITE_PIPELINE_DEFAULT_BRANCH and
# BUILDKITE_PULL_REQUEST (a PR number, or false). A PR is never a
# default-branch build, whatever its branch is called.
set -euo pipefail

toolkit="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

annotate() {
  # annotate STYLE CONTEXT < body; an annotation that cannot be posted must not hide the real outcome.
  buildkite-agent annotate --style "$1" --context "$2" || echo "bootstrap: could not post the $2 annotation" >&2
}

fail() {
  {
    echo "**CI bootstrap failed:** $1"
    if [[ -s "$work/stderr" ]]; then
      echo
      echo '```'
      head -c 60000 "$work/stderr"
      echo '```'
    fi
  } >"$work/failure.md"
  cat "$work/failure.md" >&2
  annotate error bootstrap <"$work/failure.md"
  exit 1
}

branch="${BUILDKITE_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}"
default_branch="${BUILDKITE_PIPELINE_DEFAULT_BRANCH:-main}"
remote="${GIT_REMOTE:-origin}"
pull_request="${BUILDKITE_PULL_REQUEST:-false}"
[[ -z "$pull_request" ]] && pull_request=false
compare_branch="$default_branch"  # a PR compares with the branch it targets
[[ "$pull_request" != false && -n "${BUILDKITE_PULL_REQUEST_BASE_BRANCH:-}" ]] && compare_branch="$BUILDKITE_PULL_REQUEST_BASE_BRANCH"
run_all="${RUN_ALL:-0}"
pipeline="${PIPELINE_FILE:-}"
if [[ -z "$pipeline" ]]; then
  pipeline=.buildkite/test-pipeline.yaml
  [[ -f .buildkite/ci_config.yaml ]] && pipeline=.buildkite/ci_config.yaml
fi
queues="${QUEUES_FILE:-$toolkit/queues.yaml}"

# Changed files: committed changes only (never `git add .`). On the default
# branch, against the previous commit; elsewhere, against the merge base with
# the freshly fetched default branch.
base=""
if [[ "$branch" == "$default_branch" && "$pull_request" == false ]]; then
  base="$(git rev-parse --verify --quiet 'HEAD~1' || true)"
  reason="the default branch has no previous commit"
elif git fetch --quiet --no-tags "$remote" "+refs/heads/$compare_branch:refs/remotes/$remote/$compare_branch" 2>"$work/stderr"; then
  base="$(git merge-base "refs/remotes/$remote/$compare_branch" HEAD || true)"
  reason="no merge base with $remote/$compare_branch"
else
  reason="could not fetch $remote/$compare_branch ($(head -c 300 "$work/stderr"))"
fi
: >"$work/changed-files"
if [[ -n "$base" ]]; then
  # NUL-separated: names with quotes, tabs, newlines or backslashes stay as they are.
  git diff -z --name-only --no-renames "$base" HEAD >"$work/changed-files" \
    || fail "git diff against $base failed"
else
  run_all=1
  echo "**CI bootstrap:** $reason; running every test." | annotate warning bootstrap-changes
fi

# An untrusted build (a PR from a fork or an unknown repository: the rule of
# constructs_lib/queues/trust.sh) runs a host step only as the merge base
# defines it: the generator gets the merge base's .buildkite tree to compare.
# shellcheck source=/dev/null
source "$toolkit/constructs_lib/queues/trust.sh"
base_args=()
if [[ -n "$base" && "$pipeline" != /* ]] && ! ci_trust_build; then
  mkdir "$work/base"
  if git archive --format=tar "$base" -- .buildkite 2>>"$work/stderr" | tar -x -C "$work/base" 2>>"$work/stderr"; then
    base_args=(--base-pipeline "$work/base/$pipeline")
  else
    echo "bootstrap: could not read the merge base's .buildkite; an untrusted build's host steps wait for a maintainer" >&2
  fi
fi

args=(--pipeline "$pipeline" --queues "$queues" --changed-files "$work/changed-files" "${base_args[@]}"
  --branch "$branch" --default-branch "$default_branch" --pull-request "$pull_request"
  --output "$work/pipeline.json" --explain "$work/explain.md")
# RUN_ALL, NIGHTLY, TORCH_NIGHTLY, DOCS_ONLY_DISABLE, NOAUTO, PRIORITY,
# CONTINUE_ON_FAILURE, SKIP_TIMEOUT, VLLM_CI_ONLY_STEP_KEYS,
# PULL_REQUEST_LABELS and the profile's own controls
# reach the generator through the environment, as vLLM's generator reads them.
[[ "$run_all" == 1 ]] && args+=(--run-all)
[[ -n "${PRIORITY:-}" ]] && args+=(--priority "$PRIORITY")
[[ -n "${CI_REGISTRY:-}" ]] && args+=(--registry "$CI_REGISTRY")
[[ -n "${CI_REPOSITORY:-}" ]] && args+=(--repository "$CI_REPOSITORY")

# The generator is the toolkit's `ci-bootstrap` command (pip install <toolkit>),
# never the tested repository's code; paths stay relative to the checkout so
# that problem lines read `.buildkite/...:12`.
if ! "${CI_BOOTSTRAP:-ci-bootstrap}" "${args[@]}" 2>"$work/stderr"; then
  fail "the pipeline could not be generated; nothing was uploaded."
fi
cat "$work/stderr" >&2  # warnings and errors, also in the summary
# Steps no declared queue can run are uploaded as failing steps: say so loudly.
if grep -q '^error: ' "$work/stderr"; then
  {
    echo "**CI bootstrap:** some steps cannot run on any queue of queues.yaml; they are uploaded as failing steps."
    echo
    echo '```'
    grep '^error: ' "$work/stderr" | head -c 60000
    echo '```'
  } | annotate error bootstrap-errors
fi

# No interpolation: the step files are the tested checkout's (a PR's own code),
# and upload would fill every $NAME in them from this job's environment. The
# generator has resolved the build variables the steps rely on.
buildkite-agent pipeline upload --no-interpolation --reject-secrets "$work/pipeline.json" \
  || fail "buildkite-agent pipeline upload failed."
annotate info pipeline <"$work/explain.md"
