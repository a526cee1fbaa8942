"""The login an image build needs before it pushes, from the registry's name.

ECR Public (`public.ecr.aws/<alias>`) logs in through us-east-1, where its
API is; a private ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`)
through its own region. The builder's instance role has exactly the rights
these need (constructs_lib/infra/aws/registry_access.py). Other registries
bring their own credentials: no command. The password goes through a pipe,
never onto a command line.
"""

from __future__ import annotations

import re
from typing import Optional

from constructs_lib.queues.model import ECR_PUBLIC_HOST

ECR_PUBLIC_REGION = "us-east-1"
_ECR_PRIVATE = re.compile(r"^[0-9]{12}\.dkr\.ecr\.(?P<region>[a-z]{2}(-gov)?-[a-z]+-[0-9])\.amazonaws\.com$")


def registry_login(registry: str) -> Optional[str]:
    host = registry.split("/", 1)[0]
    if host == ECR_PUBLIC_HOST:
        region = ECR_PUBLIC_REGION
    else:
        found = _ECR_PRIVATE.match(host)
        if found is None:
            return None
        region = found.group("region")
    return f"aws ecr{'-public' if host == ECR_PUBLIC_HOST else ''} get-login-password --region {region} | docker login --username AWS --password-stdin {host}"
