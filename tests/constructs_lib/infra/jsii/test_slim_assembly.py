"""constructs_lib.infra.jsii.slim_assembly on a small hand-made package tarball.

The real bindings are covered end to end by tests/constructs_lib/test_providers.py
(slim synth == eager synth, byte for byte).
"""

from __future__ import annotations

import io
import json
import os
import tarfile

import pytest

from constructs_lib.infra.jsii import slim_assembly
from constructs_lib.infra.jsii.slim_assembly import SlimAssemblyError

NAME = "@example/provider-x"


def _type(fqn: str, **extra) -> dict:
    namespace, name = fqn[len(NAME) + 1 :].rsplit(".", 1)
    return {"assembly": NAME, "fqn": fqn, "kind": "class", "name": name, "namespace": namespace, **extra}


def assembly() -> dict:
    """Submodules: alpha refers to beta; beta's JavaScript requires delta; gamma is unused."""
    return {
        "name": NAME,
        "version": "1.0.0",
        "schema": "jsii/0.10.0",
        "fingerprint": "original",
        "jsiiVersion": "5.8.22",
        "submodules": {
            f"{NAME}.{ns}": {"symbolId": f"src/{folder}/index:"}
            for ns, folder in [("alpha", "alpha"), ("beta", "beta"), ("gamma", "gamma"), ("deltaThing", "delta-thing")]
        },
        "types": {
            f"{NAME}.alpha.Alpha": _type(
                f"{NAME}.alpha.Alpha",
                base="cdktf.TerraformResource",
                properties=[{"name": "b", "type": {"fqn": f"{NAME}.beta.BetaConfig"}}],
            ),
            f"{NAME}.beta.BetaConfig": _type(f"{NAME}.beta.BetaConfig", kind="interface", datatype=True),
            f"{NAME}.gamma.Gamma": _type(f"{NAME}.gamma.Gamma"),
            f"{NAME}.deltaThing.Delta": _type(f"{NAME}.deltaThing.Delta"),
        },
    }


INDEX_JS = """\
"use strict";
/**
 * Copyright (c) Example
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.gamma = exports.deltaThing = exports.beta = exports.alpha = void 0;
// generated
exports.alpha = require("./alpha");
exports.beta = require("./beta");
exports.gamma = require("./gamma");
exports.deltaThing = require("./delta-thing");
//# sourceMappingURL=data:application/json;base64,e30=
"""


def make_tarball(path, *, spec=None, index=INDEX_JS, extra=None):
    files = {
        "package/.jsii": json.dumps(spec or assembly()).encode(),
        "package/package.json": json.dumps({"name": NAME, "version": "1.0.0", "main": "lib/index.js"}).encode(),
        "package/LICENSE": b"license text",
        "package/README.md": b"readme",
        "package/lib/index.js": index.encode(),
        "package/lib/lazy-index.js": b"// lazy",
        "package/lib/alpha/index.js": b'const cdktf = require("cdktf");\n',
        "package/lib/alpha/index.d.ts": b"export {};",
        "package/lib/beta/index.js": b"require(\"./index-structs\");\nrequire('../delta-thing');\n",
        "package/lib/beta/index-structs/index.js": b"",
        "package/lib/gamma/index.js": b"",
        "package/lib/delta-thing/index.js": b"",
        **(extra or {}),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def read(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}


def test_keeps_the_named_submodules_and_everything_they_reach(tmp_path):
    tarball = make_tarball(tmp_path / "x.tgz")
    files = read(slim_assembly.build(tarball, NAME, ["alpha"]))
    assert sorted(files) == [
        "package/.jsii",
        "package/LICENSE",
        "package/lib/alpha/index.js",
        "package/lib/beta/index-structs/index.js",
        "package/lib/beta/index.js",
        "package/lib/delta-thing/index.js",
        "package/lib/index.js",
        "package/package.json",
    ]
    spec = json.loads(files["package/.jsii"])
    # beta by a type reference, deltaThing because beta's JavaScript requires it.
    assert sorted(spec["types"]) == [f"{NAME}.alpha.Alpha", f"{NAME}.beta.BetaConfig", f"{NAME}.deltaThing.Delta"]
    assert sorted(spec["submodules"]) == [f"{NAME}.alpha", f"{NAME}.beta", f"{NAME}.deltaThing"]
    assert spec["fingerprint"] == "**********"
    assert {k: v for k, v in spec.items() if k not in ("types", "submodules", "fingerprint")} == {
        k: v for k, v in assembly().items() if k not in ("types", "submodules", "fingerprint")
    }
    assert files["package/lib/index.js"].decode().splitlines() == [
        '"use strict";',
        'Object.defineProperty(exports, "__esModule", { value: true });',
        'exports.alpha = require("./alpha");',
        'exports.beta = require("./beta");',
        'exports.deltaThing = require("./delta-thing");',
    ]
    assert spec["types"][f"{NAME}.alpha.Alpha"] == assembly()["types"][f"{NAME}.alpha.Alpha"]


def test_output_is_reproducible(tmp_path):
    tarball = make_tarball(tmp_path / "x.tgz")
    assert slim_assembly.build(tarball, NAME, ["gamma", "alpha"]) == slim_assembly.build(
        tarball, NAME, ["alpha", "gamma"]
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"index": INDEX_JS + "exports.extra = 1;\n"}, "does more than re-export"),
        ({"index": INDEX_JS.replace('exports.alpha = require("./alpha");\n', "")}, "does not export alpha"),
        ({"extra": {"package/lib/alpha/index.js": b'require("../index");\n'}}, "outside the submodule folders"),
        (
            {"spec": {**assembly(), "submodules": {f"{NAME}.alpha.inner": {"symbolId": "src/alpha/inner/index:"}}}},
            "not a top-level",
        ),
        ({"spec": {**assembly(), "schema": "jsii/file-redirect"}}, "compressed"),
        ({"spec": {**assembly(), "name": "@other/x"}}, "not @example/provider-x"),
        ({"spec": {**assembly(), "types": {f"{NAME}.Root": {"fqn": f"{NAME}.Root"}}}}, "types outside submodules"),
    ],
)
def test_refuses_what_it_cannot_slim_soundly(tmp_path, change, message):
    tarball = make_tarball(tmp_path / "x.tgz", **change)
    with pytest.raises(SlimAssemblyError, match=message):
        slim_assembly.build(tarball, NAME, ["alpha"])


def test_unknown_submodule_is_refused(tmp_path):
    with pytest.raises(SlimAssemblyError, match="no submodule nope"):
        slim_assembly.build(make_tarball(tmp_path / "x.tgz"), NAME, ["nope"])


def test_built_once_per_tarball_and_submodule_set(tmp_path, monkeypatch):
    monkeypatch.setenv(slim_assembly.CACHE_ENV, str(tmp_path / "cache"))
    tarball = make_tarball(tmp_path / "x.tgz")
    first = slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["alpha"])
    assert first.parent == tmp_path / "cache" / "jsii-slim"
    assert first.read_bytes() == slim_assembly.build(tarball, NAME, ["alpha"])
    assert oct((tmp_path / "cache" / "jsii-slim").stat().st_mode & 0o777) == "0o700"

    def no_rebuild(*args):
        raise AssertionError("rebuilt")

    monkeypatch.setattr(slim_assembly, "build", no_rebuild)
    assert slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["alpha"]) == first
    with pytest.raises(AssertionError, match="rebuilt"):
        slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["alpha", "gamma"])
    os.utime(tarball, ns=(0, 0))  # a reinstalled binding
    with pytest.raises(AssertionError, match="rebuilt"):
        slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["alpha"])
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # nothing half-written left


def test_tarballs_unused_for_30_days_are_pruned_when_another_is_built(tmp_path, monkeypatch):
    monkeypatch.setenv(slim_assembly.CACHE_ENV, str(tmp_path / "cache"))
    tarball = make_tarball(tmp_path / "x.tgz")
    old = slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["alpha"])
    recent = slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["gamma"])
    month = 31 * 24 * 3600
    for path in (old, recent):
        os.utime(path, (path.stat().st_atime - month, path.stat().st_mtime - month))
    assert slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["gamma"]) == recent  # used: touched
    slim_assembly.slim_tarball(tarball, NAME, "1.0.0", ["beta"])
    assert not old.exists() and recent.exists()


def test_cache_folder_that_others_can_write_is_refused(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (cache / "jsii-slim").mkdir(parents=True)
    (cache / "jsii-slim").chmod(0o777)
    monkeypatch.setenv(slim_assembly.CACHE_ENV, str(cache))
    with pytest.raises(SlimAssemblyError, match="not private"):
        slim_assembly.slim_tarball(make_tarball(tmp_path / "x.tgz"), NAME, "1.0.0", ["alpha"])


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(slim_assembly.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert slim_assembly.cache_dir() == tmp_path / "buildkite-ci-toolkit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert slim_assembly.cache_dir() == tmp_path / "home" / ".cache" / "buildkite-ci-toolkit"


def test_namespaces_are_read_from_the_python_sources(tmp_path):
    for module, ns in [("alpha", "alpha"), ("delta_thing", "deltaThing")]:
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text(
            f'@jsii.jsii_type(\n    jsii_type="{NAME}.{ns}.Thing",\n)\nclass Thing: ...\n'
        )
    assert slim_assembly.namespaces_of(tmp_path, NAME, ["alpha", "delta_thing"]) == {"alpha", "deltaThing"}
    with pytest.raises(SlimAssemblyError, match="cannot read"):
        slim_assembly.namespaces_of(tmp_path, NAME, ["missing"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "__init__.py").write_text("")
    with pytest.raises(SlimAssemblyError, match="exactly one submodule"):
        slim_assembly.namespaces_of(tmp_path, NAME, ["empty"])


def test_any_failure_surfaces_as_slim_assembly_error(tmp_path, monkeypatch):
    monkeypatch.setenv(slim_assembly.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(SlimAssemblyError, match="FileNotFoundError"):
        slim_assembly.slim_tarball(tmp_path / "missing.tgz", NAME, "1.0.0", ["alpha"])
    broken = make_tarball(tmp_path / "x.tgz", extra={"package/.jsii": b"{not json"})
    with pytest.raises(SlimAssemblyError, match="JSONDecodeError"):
        slim_assembly.slim_tarball(broken, NAME, "1.0.0", ["alpha"])
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(slim_assembly.CACHE_ENV, str(tmp_path / "file"))
    with pytest.raises(SlimAssemblyError, match="cannot use"):
        slim_assembly.slim_tarball(make_tarball(tmp_path / "y.tgz"), NAME, "1.0.0", ["alpha"])
