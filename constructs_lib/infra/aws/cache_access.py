"""What the agents of one queue may do with the build cache bucket: IAM statements.

The bucket holds one prefix per build kind (`premerge/`, `postmerge/`,
`release/`, `untrusted/`). A queue reads the prefixes of its builds and of
more trusted ones (constructs_lib.queues.model.readable_kinds); a queue that pushes
writes the prefixes of the builds it serves, nowhere else. So what a fork's
build writes is read by no trusted build. Pure: data for CiAccessPolicy.
"""

from __future__ import annotations

from typing import Sequence

from constructs_lib.infra.aws.iam_statement import Statement
from constructs_lib.queues.model import BuildKind, readable_kinds

CACHE_READ = ["s3:GetObject"]
CACHE_LIST = ["s3:ListBucket"]
CACHE_WRITE = ["s3:PutObject", "s3:AbortMultipartUpload"]


def prefix(kind: BuildKind) -> str:
    """Where the cache of one kind of build lives in the bucket (SCCACHE_S3_KEY_PREFIX and the like)."""
    return f"{kind}/"


def cache_access(bucket_arn: str | None, *, serves: Sequence[BuildKind], pushes: bool) -> tuple[Statement, ...]:
    if not bucket_arn:
        return ()
    readable = [prefix(kind) for kind in readable_kinds(serves)]
    statements: list[Statement] = [
        {"sid": "ReadBuildCache", "actions": CACHE_READ, "resources": [f"{bucket_arn}/{p}*" for p in readable]},
        {
            "sid": "ListBuildCache",
            "actions": CACHE_LIST,
            "resources": [bucket_arn],
            "condition": [{"test": "StringLike", "variable": "s3:prefix", "values": [f"{p}*" for p in readable]}],
        },
    ]
    if pushes:
        written = [f"{bucket_arn}/{prefix(kind)}*" for kind in dict.fromkeys(serves)]
        statements.append({"sid": "WriteBuildCache", "actions": CACHE_WRITE, "resources": written})
    return tuple(statements)
