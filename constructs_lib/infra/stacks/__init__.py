"""Terraform stacks: each composes constructs for one deployable unit."""
