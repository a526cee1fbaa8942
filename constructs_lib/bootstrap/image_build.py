"""The toolkit's own image build (the single-file layout): its caches and its commands.

A build reads and writes two caches, both per kind of build (queues.yaml:
`aws.registry.caches` and `aws.build_cache_bucket`; the kinds of
constructs_lib.queues.model.BUILD_KINDS):

- BuildKit layer caches in private ECR: `docker buildx build` reads them
  along a chain (this commit, its parent, the merge base with the branch it
  targets, `latest`), its own kind's cache first and then those of more
  trusted kinds, and writes only its own (`mode=max`).
- sccache objects in the build-cache bucket under the kind's prefix
  (`<kind>/sccache/`), passed to the Dockerfile as build arguments. A
  trusted build's builder runs on the host's network, so that the
  compilers inside the build reach the instance role (containers on docker
  networks are kept from the metadata service); an untrusted build gets
  neither sccache nor the host's network.

Every value reaches the shell as a variable of the step's environment
(`env`), never as text of the commands. Commands are written as step files
write them: `$$` for the job shell's own variables.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from constructs_lib.queues.model import BuildKind, QueuesFile

# buildx builders the image builds use; created on first use, kept on the host.
TRUSTED_BUILDER = "ci-trusted"
UNTRUSTED_BUILDER = "ci-untrusted"
CACHE_EXPORT = "mode=max,image-manifest=true,oci-mediatypes=true"


@dataclasses.dataclass(frozen=True)
class BuildCaches:
    """What one kind of build reads and writes."""

    trusted: bool
    default_branch: str = "main"
    region: Optional[str] = None  # of the layer caches; None: no layer caches declared
    write: Optional[str] = None  # the layer cache this build writes
    read: tuple[str, ...] = ()  # the layer caches it reads, its own first
    sccache_bucket: Optional[str] = None
    sccache_region: Optional[str] = None
    sccache_prefix: str = ""

    @property
    def layered(self) -> bool:
        return self.region is not None and self.write is not None

    @property
    def sccache(self) -> bool:
        return self.trusted and self.sccache_bucket is not None

    def env(self) -> dict[str, str]:
        values = {"DEFAULT_BRANCH": self.default_branch}
        if self.layered:
            values.update(CACHE_REGION=self.region or "", CACHE_WRITE=self.write or "", CACHE_READ=" ".join(self.read))
        if self.sccache:
            values.update(
                SCCACHE_BUCKET_NAME=self.sccache_bucket or "",
                SCCACHE_REGION_NAME=self.sccache_region or "",
                SCCACHE_S3_KEY_PREFIX=self.sccache_prefix,
            )
        return values


def caches_for(model: QueuesFile, kind: BuildKind, *, trusted: bool, default_branch: str) -> BuildCaches:
    aws = model.aws
    if aws is None:
        return BuildCaches(trusted=trusted, default_branch=default_branch)
    layers = aws.registry.caches if aws.registry is not None else None
    written = layers.written_by(kind) if layers is not None else None
    own = layers if written is not None else None  # the layer caches, where this kind of build writes one
    return BuildCaches(
        trusted=trusted,
        default_branch=default_branch,
        region=(own.region or aws.region) if own is not None else None,
        write=written,
        read=own.read_by([kind]) if own is not None else (),
        sccache_bucket=aws.build_cache_bucket,
        sccache_region=aws.region if aws.build_cache_bucket else None,
        sccache_prefix=f"{kind}/sccache/",
    )


def sccache_arguments(caches: BuildCaches) -> str:
    if not caches.sccache:
        return "--build-arg USE_SCCACHE=0"
    return (
        '--build-arg USE_SCCACHE=1 --build-arg SCCACHE_BUCKET_NAME="$SCCACHE_BUCKET_NAME" '
        '--build-arg SCCACHE_REGION_NAME="$SCCACHE_REGION_NAME" --build-arg SCCACHE_S3_KEY_PREFIX="$SCCACHE_S3_KEY_PREFIX"'
    )


def commands(caches: BuildCaches, *, latest: bool) -> tuple[str, ...]:
    """Build and push `$IMAGE_TAG` (and `$IMAGE_TAG_LATEST`) unless this commit's image exists already."""
    start = [
        'if docker manifest inspect "$IMAGE_TAG" >/dev/null 2>&1; then echo "$IMAGE_TAG exists; not building it again"; exit 0; fi',
        "if [ -f docker/Dockerfile ]; then dockerfile=docker/Dockerfile; else dockerfile=Dockerfile; fi",
    ]
    common = f'--file "$$dockerfile" --build-arg max_jobs=16 --build-arg buildkite_commit=$BUILDKITE_COMMIT {sccache_arguments(caches)}'
    if not caches.layered:
        network = " --network host" if caches.sccache else ""
        out = start + [
            f'docker build{network} {common} --tag "$IMAGE_TAG" --target test --progress plain .',
            'docker push "$IMAGE_TAG"',
        ]
        if latest:
            out += ['docker tag "$IMAGE_TAG" "$IMAGE_TAG_LATEST"', 'docker push "$IMAGE_TAG_LATEST"']
        return tuple(out)
    builder = TRUSTED_BUILDER if caches.trusted else UNTRUSTED_BUILDER
    network = " --driver-opt network=host" if caches.sccache else ""
    tags = '--tag "$IMAGE_TAG"' + (' --tag "$IMAGE_TAG_LATEST"' if latest else "")
    cache_to = f'--cache-to "type=registry,ref=$$cache_registry/$CACHE_WRITE:$BUILDKITE_COMMIT,{CACHE_EXPORT}"'
    if latest:
        cache_to += f' --cache-to "type=registry,ref=$$cache_registry/$CACHE_WRITE:latest,{CACHE_EXPORT}"'
    return tuple(
        start
        + [
            'cache_registry="$$(aws sts get-caller-identity --query Account --output text).dkr.ecr.$CACHE_REGION.amazonaws.com"',
            'aws ecr get-login-password --region "$CACHE_REGION" | docker login --username AWS --password-stdin "$$cache_registry"',
            f"docker buildx inspect {builder} >/dev/null 2>&1 || docker buildx create --name {builder} --driver docker-container{network}",
            'parent="$$(git rev-parse HEAD~1 2>/dev/null || true)"',
            'base="$$(git merge-base HEAD "refs/remotes/origin/$${BUILDKITE_PULL_REQUEST_BASE_BRANCH:-$DEFAULT_BRANCH}" 2>/dev/null || true)"',
            # Along the chain, own cache first: this commit (a retry), its parent, the merge base, the default branch's latest.
            'cache_from=(); for repository in $CACHE_READ; do for tag in "$BUILDKITE_COMMIT" "$$parent" "$$base" latest; do '
            'if [ -n "$$tag" ]; then cache_from+=(--cache-from "type=registry,ref=$$cache_registry/$$repository:$$tag"); fi; done; done',
            f'docker buildx build --builder {builder} {common} "$${{cache_from[@]}}" {cache_to} {tags} --target test --progress plain --push .',
        ]
    )
