"""Slim jsii assemblies: a provider tarball cut down to the submodules used.

Only `constructs_lib.infra.jsii.providers` calls this module; it imports no provider
package, it reads the binding's tarball and Python sources as files.

Why: loading a prebuilt binding's assembly makes the jsii kernel (node)
require the package's `lib/index.js`, which requires all ~2,200 resource
submodules (~270 MB of JavaScript): about 2 s and 500 MB per binding and
process. The stacks use a few dozen of them. The slim tarball holds

- `.jsii`: the assembly with only the types of the kept submodules (the
  fingerprint replaced by `**********`, as jsii does for a modified assembly);
- `lib/index.js`: the original's `exports.<ns> = require("./<dir>")` lines for
  the kept submodules only;
- `lib/<dir>/**`: those submodules' files (no `.d.ts`); `package.json`, `LICENSE`.

The kept submodules are the ones named, closed over every reference from a
kept type to a type of the same assembly and over every relative `require`
between submodules, so every type the kernel can meet (as a parameter, a
return value, a base class, or an object the JavaScript creates) is present.
Anything unexpected in the package (nested submodules, a `lib/index.js` that
does more than re-export) raises SlimAssemblyError and the caller loads the
full tarball instead.

The result is built once per (tarball, submodule set) under the user's cache
directory ($CI_TOOLKIT_CACHE_DIR, else $XDG_CACHE_HOME/buildkite-ci-toolkit,
else ~/.cache/buildkite-ci-toolkit), in a private folder, written atomically
and byte-for-byte reproducible. Building reads the whole tarball: a few
seconds and ~700 MB for the AWS binding, once; a tarball no run has used for
30 days is removed when another one of the same binding is built.
"""

from __future__ import annotations

import functools
import glob
import gzip
import hashlib
import io
import json
import os
import pathlib
import posixpath
import re
import stat
import tarfile
import time
from typing import Any, Callable, Iterable, Optional

from constructs_lib.atomic_file import write_atomically

# Bump when the content of a slim tarball changes for the same inputs.
BUILD_VERSION = 1
CACHE_ENV = "CI_TOOLKIT_CACHE_DIR"
_DAY = 24 * 3600

_PREFIX = "package/"
_REQUIRE = re.compile(r"""\brequire\(\s*(["'])([^"']+)\1\s*\)""")
_SYMBOL_DIR = re.compile(r"^src/([^/]+)/index:$")
# What a generated lib/index.js may contain besides the submodule re-exports.
_INDEX_NOISE = re.compile(
    r'^(?:"use strict";|/\*\*|\s*\*.*|\s*\*/'
    r'|Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);'
    r"|exports\.[A-Za-z0-9_$]+(?: = exports\.[A-Za-z0-9_$]+)* = void 0;"
    r"|//.*|)$"
)
_OTHER_FILES = {f"{_PREFIX}package.json", f"{_PREFIX}lib/index.js", f"{_PREFIX}LICENSE"}
_INDEX_EXPORT = re.compile(r'^exports\.([A-Za-z0-9_$]+) = require\("\./([A-Za-z0-9_.-]+)"\);$')


class SlimAssemblyError(Exception):
    """The package cannot be slimmed soundly (or the cache cannot be used)."""


def cache_dir() -> pathlib.Path:
    """The toolkit's cache folder (not created)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return pathlib.Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = pathlib.Path(xdg) if xdg and os.path.isabs(xdg) else pathlib.Path.home() / ".cache"
    return base / "buildkite-ci-toolkit"


def namespaces_of(package_dir: pathlib.Path, assembly: str, modules: Iterable[str]) -> set[str]:
    """jsii submodule names of the binding's Python resource modules, read from their source."""
    marker = re.compile(r'jsii_type="' + re.escape(assembly) + r"\.([A-Za-z0-9_$]+)\.")
    found = set()
    for module in modules:
        source = package_dir / module / "__init__.py"
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as err:
            raise SlimAssemblyError(f"cannot read {source}: {err.strerror}") from err
        names = set(marker.findall(text))
        if len(names) != 1:
            raise SlimAssemblyError(
                f"{source} does not name exactly one submodule of {assembly} (found {sorted(names)})"
            )
        found |= names
    return found


def slim_tarball(tarball: str | os.PathLike[str], name: str, version: str, namespaces: Iterable[str]) -> pathlib.Path:
    """Path of the slim tarball for `namespaces`, building it on first use.

    Raises SlimAssemblyError for anything that goes wrong, the caller's cue
    to load the full tarball.
    """
    try:
        return _slim_tarball(pathlib.Path(tarball), name, version, sorted(set(namespaces)))
    except SlimAssemblyError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, AttributeError, tarfile.TarError) as err:
        raise SlimAssemblyError(f"{type(err).__name__}: {err}") from err


def _slim_tarball(tarball: pathlib.Path, name: str, version: str, namespaces: list[str]) -> pathlib.Path:
    info = tarball.stat()
    key_source = json.dumps(
        [BUILD_VERSION, name, version, str(tarball.resolve()), info.st_size, info.st_mtime_ns, namespaces]
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:20]
    folder = _private_folder(cache_dir() / "jsii-slim")
    stem = f"{name.replace('/', '__')}@{version}-"
    target = folder / f"{stem}{key}.jsii.tgz"
    if target.is_file():
        if time.time() - target.stat().st_mtime > _DAY:
            os.utime(target)  # in use: keep it from being pruned
        return target
    data = build(tarball, name, namespaces)
    write_atomically(target, data)
    _prune(folder, stem)
    return target


def discard(slim: pathlib.Path) -> None:
    """Remove a slim tarball the kernel could not load."""
    try:
        slim.unlink()
    except OSError:
        pass


def _prune(folder: pathlib.Path, stem: str) -> None:
    """Remove this binding's slim tarballs that no run has used for 30 days."""
    for old in folder.glob(f"{glob.escape(stem)}*.jsii.tgz"):
        try:
            if time.time() - old.stat().st_mtime > 30 * _DAY:
                old.unlink()
        except OSError:
            pass


def _private_folder(folder: pathlib.Path) -> pathlib.Path:
    """Create `folder` (0700) if needed; refuse one that others could write to.

    The tarball's JavaScript runs in the synth, so the folder gets the same
    care as the jsii package cache.
    """
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError as err:
        raise SlimAssemblyError(f"cannot use {folder}: {err.strerror}") from err
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SlimAssemblyError(f"{folder} is not private to this user")
    return folder


def build(tarball: pathlib.Path, name: str, namespaces: Iterable[str]) -> bytes:
    """The slim tarball's bytes (gzip), deterministic for the same inputs."""
    # Two passes over the archive: up to the assembly (its first member in
    # practice), then everything else once the submodules to keep are known.
    spec_file = f"{_PREFIX}.jsii"
    found = _read_members(tarball, lambda member: member == spec_file, stop_after=1)
    if spec_file not in found:
        raise SlimAssemblyError(f"{tarball} has no {spec_file}")
    assembly = json.loads(found.pop(spec_file))
    if assembly.get("schema") == "jsii/file-redirect":
        raise SlimAssemblyError(f"{tarball}: compressed (redirected) assemblies are not supported")
    if assembly.get("name") != name:
        raise SlimAssemblyError(f"{tarball} holds {assembly.get('name')}, not {name}")

    dirs = _submodule_dirs(assembly)
    by_namespace: dict[Optional[str], dict[str, Any]] = {}
    for fqn, spec in assembly.get("types", {}).items():
        by_namespace.setdefault(_namespace(fqn, name), {})[fqn] = spec
    if None in by_namespace:
        raise SlimAssemblyError(f"{name} has types outside submodules")
    in_submodules = {ns: types for ns, types in by_namespace.items() if ns is not None}

    keep = set(namespaces)
    unknown = keep - dirs.keys()
    if unknown:
        raise SlimAssemblyError(f"{name} has no submodule {', '.join(sorted(unknown))}")
    while True:
        keep = _type_closure(keep, in_submodules, name)
        folders = {dirs[ns] for ns in keep}
        files = _read_members(tarball, functools.partial(_in_folders, folders=frozenset(folders)))
        required = _required_namespaces(files, {d: ns for ns, d in dirs.items()})
        if required <= keep:
            break
        keep |= required
    missing = {f"{_PREFIX}package.json", f"{_PREFIX}lib/index.js"} - files.keys()
    if missing:
        raise SlimAssemblyError(f"{tarball} has no {', '.join(sorted(missing))}")

    files[f"{_PREFIX}lib/index.js"] = _slim_index(
        files[f"{_PREFIX}lib/index.js"].decode("utf-8"), {ns: dirs[ns] for ns in keep}
    ).encode()
    slim = dict(assembly)
    slim["types"] = {fqn: spec for ns in sorted(keep) for fqn, spec in sorted(by_namespace.get(ns, {}).items())}
    slim["submodules"] = {
        key: value for key, value in assembly.get("submodules", {}).items() if key[len(name) + 1 :] in keep
    }
    slim["fingerprint"] = "**********"

    files[spec_file] = json.dumps(slim, separators=(",", ":"), sort_keys=True).encode()
    return _write_tgz(files)


def _in_folders(member: str, *, folders: frozenset[str]) -> bool:
    """A member the slim tarball keeps: the package's own files, and the JavaScript of the kept folders."""
    return member in _OTHER_FILES or (_lib_dir(member) in folders and not member.endswith(".d.ts"))


def _read_members(
    tarball: pathlib.Path, want: Callable[[str], bool], stop_after: int | None = None
) -> dict[str, bytes]:
    found = {}
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                if member.isfile() and want(member.name):
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        raise SlimAssemblyError(f"{member.name} cannot be read from {tarball}")
                    found[member.name] = extracted.read()
                    if len(found) == stop_after:
                        break
    except (OSError, tarfile.TarError) as err:
        raise SlimAssemblyError(f"cannot read {tarball}: {err}") from err
    return found


def _namespace(fqn: str, name: str) -> str | None:
    rest = fqn[len(name) + 1 :] if fqn.startswith(name + ".") else ""
    return rest.split(".", 1)[0] if "." in rest else None


def _lib_dir(member: str) -> str | None:
    parts = member.split("/")
    return parts[2] if len(parts) > 3 and parts[:2] == ["package", "lib"] else None


def _submodule_dirs(assembly: dict[str, Any]) -> dict[str, str]:
    """Submodule name -> its folder under lib/, from each submodule's symbolId."""
    name = assembly["name"]
    dirs = {}
    for fqn, submodule in assembly.get("submodules", {}).items():
        ns = fqn[len(name) + 1 :]
        match = _SYMBOL_DIR.match(submodule.get("symbolId", ""))
        if not fqn.startswith(name + ".") or "." in ns or not match:
            raise SlimAssemblyError(f"submodule {fqn} is not a top-level folder submodule")
        dirs[ns] = match.group(1)
    return dirs


def _type_closure(keep: set[str], by_namespace: dict[str, dict[str, Any]], name: str) -> set[str]:
    """`keep` plus every submodule holding a type that a kept type mentions."""
    keep = set(keep)
    todo = list(keep)
    while todo:
        for spec in by_namespace.get(todo.pop(), {}).values():
            for text in _strings(spec):
                ns = _namespace(text, name)
                if ns is not None and text in by_namespace.get(ns, {}) and ns not in keep:
                    keep.add(ns)
                    todo.append(ns)
    return keep


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _required_namespaces(lib: dict[str, bytes], namespace_of_dir: dict[str, str]) -> set[str]:
    """Submodules that the kept JavaScript requires (relative requires only)."""
    required = set()
    for member, content in lib.items():
        if _lib_dir(member) is None or not member.endswith(".js"):
            continue
        for _, target in _REQUIRE.findall(content.decode("utf-8", "replace")):
            if not target.startswith("."):
                continue  # another package (cdktf, constructs): loaded as usual
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
            target_dir = _lib_dir(resolved + "/x")
            if target_dir is None or target_dir not in namespace_of_dir:
                raise SlimAssemblyError(f"{member} requires {target}, outside the submodule folders")
            required.add(namespace_of_dir[target_dir])
    return required


def _slim_index(original: str, keep: dict[str, str]) -> str:
    exports = {}
    for line in original.splitlines():
        match = _INDEX_EXPORT.match(line)
        if match:
            exports[match.group(1)] = line
        elif not _INDEX_NOISE.match(line):
            raise SlimAssemblyError(f"lib/index.js does more than re-export submodules: {line[:80]!r}")
    lines = []
    for ns, folder in sorted(keep.items()):
        expected = f'exports.{ns} = require("./{folder}");'
        if exports.get(ns) != expected:
            raise SlimAssemblyError(f"lib/index.js does not export {ns} from ./{folder}")
        lines.append(expected)
    header = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });']
    return "\n".join(header + lines) + "\n"


def _write_tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for member in sorted(files):
                info = tarfile.TarInfo(member)
                info.size = len(files[member])
                info.mode = 0o644
                info.mtime = 499162500  # npm's fixed date, as in the original tarball
                archive.addfile(info, io.BytesIO(files[member]))
    return buffer.getvalue()
