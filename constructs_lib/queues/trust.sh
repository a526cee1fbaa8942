# Which builds are trusted: the rule of constructs_lib/queues/trust.py in bash.
# Sourced (or carried whole) by the toolkit's AMI hook and the TPU hosts'
# agent hook; tests/constructs_lib/queues/test_trust.py holds it to the Python
# rule. A PR whose head repository is not the pipeline's, or is unknown, is
# untrusted.

ci_trust_repository() {
  # git@github.com:org/repo.git, https://github.com/org/repo and ssh://... name one repository.
  local url=${1,,} scp_like=1
  url=${url#"${url%%[![:space:]]*}"}
  url=${url%"${url##*[![:space:]]}"}
  if [[ $url =~ ^[a-z+]+:// ]]; then
    scp_like=0
    url=${url#*://}
  fi
  if [[ $url =~ ^[^@/]+@ ]]; then
    url=${url#*@}
  fi
  if ((scp_like)); then
    url=${url/://}
  fi
  while [[ $url == */ ]]; do url=${url%/}; done
  url=${url%.git}
  printf '%s\n' "$url"
}

ci_trust_build() {
  # Exit status 0 for a trusted build, 1 for an untrusted one.
  local pull_request=${BUILDKITE_PULL_REQUEST:-false} head=${BUILDKITE_PULL_REQUEST_REPO:-} own=${BUILDKITE_REPO:-}
  if [[ -z "$pull_request" || "$pull_request" == "false" ]]; then
    return 0
  fi
  [[ -n "${head//[[:space:]]/}" && -n "${own//[[:space:]]/}" ]] || return 1
  [[ "$(ci_trust_repository "$head")" == "$(ci_trust_repository "$own")" ]]
}
