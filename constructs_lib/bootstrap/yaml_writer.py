"""Write the pipeline as block YAML with libyaml's emitter (PyYAML's when libyaml is absent).

The emitting and escaping are libyaml's; this module only chooses each
string's style, for the two kinds of reader a pipeline meets (PyYAML here,
Buildkite's Go parser there):

- plain only when the string starts with a letter or one of `_/$(`, holds
  only characters that are plain in any context, and PyYAML's YAML 1.1
  resolver reads it back as a string. So `yes`, `1_000`, `0o17` and `123e4`
  (a short commit hash; a float to YAML 1.2 readers) are quoted;
- a literal block (`|`) for a multi-line string, such as a step's script;
- otherwise single-quoted.

Where a style cannot hold a string, libyaml falls back to double quotes.
Tests check that both PyYAML loaders read back exactly what was written.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, cast

import yaml

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PLAIN = re.compile(r"[A-Za-z_/$(][A-Za-z0-9_./$()+,=@%:\- ]*")
_STR_TAG = "tag:yaml.org,2002:str"
_resolver = yaml.resolver.Resolver()


class _PipelineDumper(_Dumper):  # type: ignore[misc]  # libyaml's dumper when present, chosen at import
    """The SafeDumper with the string styles above.

    libyaml's serializer asks the (Python) resolver twice about every scalar,
    keys included: 16,000 calls and a third of the time for the largest
    pipeline, which repeats its keys, queues and flags throughout. A dumper
    lives for one `dump`, and so does its record of the answers.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resolved: dict[tuple[Any, ...], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return cast(str, super().resolve(kind, value, implicit))
        tag = self._resolved.get((value, implicit))
        if tag is None:
            tag = self._resolved[(value, implicit)] = cast(str, super().resolve(kind, value, implicit))
        return tag


@functools.lru_cache(maxsize=4096)  # a pipeline repeats its queue names, plugins and flags
def _plain(text: str) -> bool:
    return bool(
        _PLAIN.fullmatch(text)
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
        and _resolve(text) == _STR_TAG
    )


def _resolve(text: str) -> str:
    """The tag a plain scalar resolves to (types-PyYAML leaves Resolver.resolve unannotated)."""
    resolve: Callable[..., str] = _resolver.resolve
    return resolve(yaml.ScalarNode, text, (True, False))


def _represent_str(dumper: Any, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None if _plain(text) else "'"
    return cast(yaml.ScalarNode, dumper.represent_scalar(_STR_TAG, text, style=style))


_PipelineDumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_PipelineDumper, sort_keys=False, allow_unicode=True, width=2**31 - 1, default_flow_style=False
    )
