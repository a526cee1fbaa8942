"""The checkov gate: every synthesized stack passes, or its finding is accepted in writing.

    python -m scripts.security_gate [--accepted FILE] [--today YYYY-MM-DD] --synth QUEUES.yaml...
    python -m scripts.security_gate [--accepted FILE] [--today YYYY-MM-DD] CDKTF_OUT...

Runs checkov (`--framework terraform_json`, offline) over every
`stacks/*/cdk.tf.json` of the given synth outputs (or of fresh synths of the
given queues files) in one run, and compares the failed checks with the
accepted findings (default `security/accepted-findings.yaml`). Each accepted
entry names a check id, a resource glob, a one-line justification and an
expiry date.

The gate fails (exit 1, one line per problem) on a finding no entry accepts,
on an entry past its expiry, on an entry that matches no finding (the finding
was fixed: remove the entry), and on a stack checkov evaluated nothing in (a
stack of providers checkov has no policy for, the buildkite stack, is named as
not scanned instead). A
malformed accepted-findings file, or a queues file that does not load, is bad
input (exit 2, one line per problem).

Resources are named `<terraform type>.<construct path>`, for example
`aws_s3_bucket.aws-state/state/state/bucket`: CDKTF's logical ids carry a
hash, the construct path does not. In a glob, `*` matches any characters
(also `/`).

checkov is found as $CHECKOV (an executable), else as the `checkov` package of
this interpreter, else as `checkov` on PATH.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fnmatch
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Iterable, Optional

from constructs_lib.queues import strict_yaml
from constructs_lib.queues.problems import LoadError, Problem
from scripts import synth_process

REPO = pathlib.Path(__file__).resolve().parent.parent

ACCEPTED_FILE = REPO / "security" / "accepted-findings.yaml"
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ENTRY_KEYS = ("check", "resource", "justification", "expires")
# An acceptance is reviewed at least once a year: it cannot be dated further ahead.
MAX_AHEAD = datetime.timedelta(days=366)
MIN_JUSTIFICATION_WORDS = 5
CHECKOV_ARGS = ["--framework", "terraform_json", "--output", "json", "--compact", "--skip-download"]


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    check: str
    resource: str  # "<terraform type>.<construct path>"
    title: str
    source: str  # which synth output it came from


@dataclasses.dataclass(frozen=True)
class Accepted:
    check: str
    resource: str  # glob over Finding.resource
    justification: str
    expires: datetime.date
    line: int

    def matches(self, finding: Finding) -> bool:
        return finding.check == self.check and fnmatch.fnmatchcase(finding.resource, self.resource)


@dataclasses.dataclass
class Scan:
    findings: list[Finding]
    evaluated: dict[str, int]  # stack file -> checks evaluated (passed + failed)
    version: str


class GateError(Exception):
    """The gate could not run (checkov missing or broken): one line."""


# --- the accepted-findings file -------------------------------------------------


def load_accepted(path: pathlib.Path, display: Optional[str] = None) -> list[Accepted]:
    """Entries of the accepted-findings file; LoadError with one problem per line when malformed."""
    display = display or _display(path)
    doc = strict_yaml.load(strict_yaml.read_file(str(path), display), display)
    if not isinstance(doc.data, dict) or set(doc.data) != {"accepted"} or not isinstance(doc.data["accepted"], list):
        raise LoadError(
            [Problem(display, 1, "", "the file must be a mapping with one key, accepted: a list of entries")]
        )
    entries, problems = [], []
    for index, raw in enumerate(doc.data["accepted"]):
        path_ = ("accepted", index)
        if not isinstance(raw, dict):
            problems.append(doc.problem(path_, "each entry is a mapping of check, resource, justification, expires"))
            continue
        found = _entry_problems(raw)
        problems += [doc.problem(path_ + ((key,) if key else ()), message) for key, message in found]
        if not found:
            entries.append(
                Accepted(
                    check=raw["check"],
                    resource=raw["resource"],
                    justification=raw["justification"].strip(),
                    expires=datetime.date.fromisoformat(raw["expires"]),
                    line=doc.line_of(path_),
                )
            )
    if problems:
        raise LoadError(problems)
    return entries


def _entry_problems(raw: dict[str, Any]) -> list[tuple[Optional[str], str]]:
    problems: list[tuple[Optional[str], str]] = []
    for key in raw:
        if key not in ENTRY_KEYS:
            problems.append((key, f"unknown key (an entry has {', '.join(ENTRY_KEYS)})"))
    for key in ENTRY_KEYS:
        if key not in raw:
            problems.append((None, f"{key} is missing"))
        elif not isinstance(raw[key], str):
            problems.append((key, "must be a string"))
    if problems:
        return problems
    if not CHECK_ID.match(raw["check"]):
        problems.append(("check", f"{raw['check']!r} is not a checkov check id like CKV_AWS_18 or CKV2_AWS_5"))
    if not raw["resource"].strip() or raw["resource"].strip("*") == "":
        problems.append(("resource", "must name a resource: <terraform type>.<construct path>, globs allowed"))
    text = raw["justification"].strip()
    if "\n" in text:
        problems.append(("justification", "must be one line"))
    elif len(text.split()) < MIN_JUSTIFICATION_WORDS or re.search(r"\b(todo|fixme|tbd)\b", text, re.IGNORECASE):
        problems.append(
            ("justification", f"must give the reason in words (at least {MIN_JUSTIFICATION_WORDS}), not {text!r}")
        )
    if not DATE.match(raw["expires"]):
        problems.append(("expires", f"must be a date YYYY-MM-DD (got {raw['expires']!r})"))
    else:
        try:
            datetime.date.fromisoformat(raw["expires"])
        except ValueError as err:
            problems.append(("expires", f"not a valid date: {err}"))
    return problems


# --- checkov ----------------------------------------------------------------------


def checkov_command() -> Optional[list[str]]:
    """How to run checkov here, or None where it is not installed."""
    if os.environ.get("CHECKOV"):
        return [os.environ["CHECKOV"]]
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    found = shutil.which("checkov")
    return [found] if found else None


# Providers checkov has no policy for: a stack of these alone is not given to checkov (it would evaluate nothing) and is named instead.
UNPOLICED_PROVIDERS = frozenset({"buildkite"})


def stack_files(outdirs: Iterable[tuple[pathlib.Path, str]]) -> list[tuple[pathlib.Path, str]]:
    """(stack file, label) for every stack of every (synth output, label)."""
    files = []
    for outdir, label in outdirs:
        for file in sorted(pathlib.Path(outdir).glob("stacks/*/cdk.tf.json")):
            files.append((file.resolve(), label))
    return files


def split_unpoliced(
    files: list[tuple[pathlib.Path, str]],
) -> tuple[list[tuple[pathlib.Path, str]], list[tuple[pathlib.Path, str]]]:
    """(stacks for checkov, (stack, providers) of the stacks of providers checkov has no policy for)."""
    providers = {file: unpoliced(file) for file, _ in files}
    skipped = [(file, found) for file, found in providers.items() if found]
    return [(file, label) for file, label in files if not providers[file]], skipped


def unpoliced(file: pathlib.Path) -> Optional[str]:
    """The providers of a stack that uses only providers checkov has no policy for (comma-separated), else None."""
    try:
        providers = set(json.loads(file.read_text()).get("terraform", {}).get("required_providers", {}))
    except (OSError, ValueError):
        return None
    return ", ".join(sorted(providers)) if providers and providers <= UNPOLICED_PROVIDERS else None


def run_checkov(files: list[tuple[pathlib.Path, str]], command: Optional[list[str]] = None) -> Scan:
    """One checkov run over every file; the failed checks as findings."""
    command = command or checkov_command()
    if command is None:
        raise GateError("checkov is not installed (pipenv sync --dev installs it; or set CHECKOV to its executable)")
    args = [*command, *CHECKOV_ARGS]
    for file, _ in files:
        args += ["--file", str(file)]
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "BC_SKIP_MAPPING": "TRUE", "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory(prefix="checkov-") as cwd:
        try:
            result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        except OSError as err:
            raise GateError(f"cannot run {command[0]}: {err.strerror}") from None
        except subprocess.TimeoutExpired:
            raise GateError("checkov did not finish within 900 s") from None
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(f"checkov exited with status {result.returncode} without a JSON report: {last[:300]}") from None
    if isinstance(reports, dict):
        reports = [reports]
    labels = {str(file): label for file, label in files}
    documents = {str(file): json.loads(file.read_text()) for file, _ in files}
    evaluated = {str(file): 0 for file, _ in files}
    findings: set[Finding] = set()
    version = "?"
    for report in reports:
        if report.get("check_type") not in (None, "terraform_json"):
            continue
        summary = report.get("summary", {})
        version = summary.get("checkov_version", version)
        if summary.get("parsing_errors"):
            raise GateError(
                f"checkov could not parse {summary['parsing_errors']} file(s): {', '.join(report.get('results', {}).get('parsing_errors', []))}"
            )
        results = report.get("results", {})
        for outcome in ("passed_checks", "failed_checks"):
            for check in results.get(outcome, []):
                matched = _match_file(check.get("file_abs_path", ""), evaluated)
                if matched is None:
                    raise GateError(
                        f"checkov reported {check['check_id']} for a file it was not given: {check.get('file_abs_path')}"
                    )
                evaluated[matched] += 1
                if outcome == "failed_checks":
                    findings.add(
                        Finding(
                            check=check["check_id"],
                            resource=resource_name(documents[matched], check["resource"]),
                            title=check.get("check_name", ""),
                            source=labels[matched],
                        )
                    )
    return Scan(sorted(findings), evaluated, version)


def _match_file(reported: str, known: dict[str, int]) -> Optional[str]:
    if reported in known:
        return reported
    try:
        resolved = str(pathlib.Path(reported).resolve())
    except OSError:  # pragma: no cover - a path checkov made up
        return None
    return resolved if resolved in known else None


def resource_name(document: dict[str, Any], reported: str) -> str:
    """`<type>.<construct path>` of a resource as checkov names it (`resource.X`, `data.X` or `type.X`)."""
    kind, _, name = reported.partition(".")
    sections = {"resource": ["resource"], "data": ["data"]}.get(kind, ["resource", "data"])
    for section in sections:
        for type_, blocks in document.get(section, {}).items():
            if kind not in ("resource", "data") and type_ != kind:
                continue
            block = blocks.get(name) if isinstance(blocks, dict) else None
            if block is not None:
                path = block.get("//", {}).get("metadata", {}).get("path", name)
                return f"{type_}.{path}"
    return reported


# --- the verdict --------------------------------------------------------------------


def judge(scan: Scan, accepted: list[Accepted], today: datetime.date, accepted_display: str) -> list[str]:
    """Every reason the gate fails, one line each; empty when it passes."""
    problems = []
    for file, count in sorted(scan.evaluated.items()):
        if count == 0:
            problems.append(
                f"{_display(pathlib.Path(file))}: checkov evaluated no check (is it a Terraform JSON stack?)"
            )
    used: set[int] = set()
    unaccepted: dict[tuple[str, str], list[Finding]] = {}
    for finding in scan.findings:
        matching = [i for i, entry in enumerate(accepted) if entry.matches(finding)]
        used.update(matching)
        if not matching:
            unaccepted.setdefault((finding.check, finding.resource), []).append(finding)
    for (check, resource), same in sorted(unaccepted.items()):
        sources = ", ".join(sorted({f.source for f in same}))
        problems.append(
            f"{check} {resource}: {same[0].title} (from {sources}; fix it, or accept it in {accepted_display})"
        )
    for index, entry in enumerate(accepted):
        where = f"{accepted_display}:{entry.line}"
        if entry.expires < today:
            problems.append(
                f"{where}: {entry.check} {entry.resource}: expired on {entry.expires}; fix the finding or renew the entry with its reason"
            )
        elif entry.expires - today > MAX_AHEAD:
            problems.append(
                f"{where}: {entry.check} {entry.resource}: expires {entry.expires}, more than a year ahead; review it yearly"
            )
        if index not in used:
            problems.append(f"{where}: {entry.check} {entry.resource}: matches no finding any more; remove the entry")
    return problems


def accepted_count(scan: Scan, accepted: list[Accepted]) -> int:
    return sum(1 for finding in scan.findings if any(entry.matches(finding) for entry in accepted))


def summary(scan: Scan, accepted: list[Accepted]) -> str:
    checks = sum(scan.evaluated.values())
    entries = f"{len(accepted)} entr{'y' if len(accepted) == 1 else 'ies'}"
    return (
        f"checkov {scan.version}: {len(scan.evaluated)} stack(s), {checks} checks evaluated, "
        f"{len(scan.findings)} failed, {accepted_count(scan, accepted)} of those accepted by {entries}"
    )


# --- synth of queues files ------------------------------------------------------------


def synth(queues_files: list[str], workdir: pathlib.Path) -> tuple[list[tuple[pathlib.Path, str]], list[str]]:
    """`python main.py` for each queues file into workdir: ((outdir, label) each, problem lines)."""
    outdirs, problems = [], []
    for index, queues in enumerate(queues_files):
        outdir = workdir / f"{index}-{pathlib.Path(queues).stem}"
        result = subprocess.run(
            synth_process.command(queues, outdir),
            cwd=REPO,
            env=synth_process.environment(),
            capture_output=True,
            text=True,
        )
        if result.returncode == 0:
            outdirs.append((outdir, queues))
        elif result.returncode == 2:  # main.py's own one-line problems
            problems += result.stderr.strip().splitlines()
        else:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            problems.append(f"{queues}: synth failed with status {result.returncode}: {last[:300]}")
    return outdirs, problems


def _display(path: pathlib.Path) -> str:
    try:
        return str(pathlib.Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument(
        "outdirs", nargs="*", type=pathlib.Path, help="synth outputs (folders holding stacks/*/cdk.tf.json)"
    )
    parser.add_argument(
        "--synth", nargs="+", default=[], metavar="QUEUES", help="synthesize these queues files and scan them"
    )
    parser.add_argument(
        "--accepted",
        type=pathlib.Path,
        default=ACCEPTED_FILE,
        help="accepted findings (default: security/accepted-findings.yaml)",
    )
    parser.add_argument(
        "--today", type=datetime.date.fromisoformat, default=None, help="date to judge expiry by (default: today, UTC)"
    )
    args = parser.parse_args(argv)
    today = args.today or datetime.datetime.now(datetime.timezone.utc).date()
    if not args.outdirs and not args.synth:
        parser.error("give synth outputs or --synth QUEUES")
    try:
        accepted = load_accepted(args.accepted)
    except LoadError as err:
        print(err, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="security-gate-") as tmp:
        synthesized, problems = synth(args.synth, pathlib.Path(tmp))
        outdirs = [(d, _display(d)) for d in args.outdirs] + synthesized
        files = stack_files(outdirs)
        problems += [
            f"{label}: no stacks/*/cdk.tf.json here"
            for d, label in outdirs
            if not any(found == label for _, found in files)
        ]
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
        files, skipped = split_unpoliced(files)
        try:
            scan = run_checkov(files)
        except GateError as err:
            print(f"security gate: {err}", file=sys.stderr)
            return 2
    problems = judge(scan, accepted, today, _display(args.accepted))
    for line in problems:
        print(line, file=sys.stderr)
    for file, providers in skipped:
        print(f"{_display(file)}: not scanned: checkov has no policy for provider {providers}")
    print(summary(scan, accepted))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
