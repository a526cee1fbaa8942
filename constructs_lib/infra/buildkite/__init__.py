"""Constructs of Buildkite itself (the buildkite/buildkite provider, through cdktf's generic classes)."""
