"""Load queues.yaml into the queue model, or fail with one line per problem.

    model = load_queues("queues.yaml")      # QueuesFile, or raises LoadError

Reading (strict_yaml), shape and types (pydantic), then the cross-key rules
(rules) all report `file:line: key.path: message`; every problem found is
reported at once.
"""

from __future__ import annotations

import os

from pydantic import ValidationError

from constructs_lib.queues import literals, rules, strict_yaml
from constructs_lib.queues.model import QueuesFile
from constructs_lib.queues.problems import LoadError, Problem, kind_of
from constructs_lib.queues.translate import translate


def load_queues(path: str | os.PathLike[str], display: str | None = None) -> QueuesFile:
    display = display or os.fspath(path)
    return parse_queues(strict_yaml.read_file(os.fspath(path), display), display)


def parse_queues(data: bytes, file: str) -> QueuesFile:
    doc = strict_yaml.load(data, file)
    if not isinstance(doc.data, dict):
        raise LoadError([Problem(file, 1, "", f"the top level must be a mapping (got {kind_of(doc.data)})")])
    literal_problems = [doc.problem(path, message) for path, message in literals.check(doc.data)]
    if literal_problems:
        raise LoadError(literal_problems)
    try:
        model = QueuesFile.model_validate(doc.data)
    except ValidationError as err:
        raise LoadError(translate(err, doc, QueuesFile)) from None
    findings = rules.check(model)
    if findings:
        raise LoadError(doc.problem(path, message) for path, message in findings)
    return model
