"""GCP constructs: one construct per module.

`names` is pure (no cdktf): the loader's rules use it to check the names the
constructs will give resources.
"""
