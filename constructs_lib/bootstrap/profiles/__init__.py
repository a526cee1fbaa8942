"""The profiles of the repositories the generator knows: each a Profile (constructs_lib.bootstrap.profile)."""
