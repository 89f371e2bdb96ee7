"""Rule-check findings in the formats CI systems read: SARIF 2.1.0 (GitHub code scanning and
most IDEs), reviewdog's rdjsonl, and GitHub Actions workflow commands.

Only the binary part is located in the file, so only its violations become annotations; a
violation without a line (a missing section) is reported on the file as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..checks.base import CheckResult, Evidence
from ..rubric import Rubric
from ..scoring import ScoreCard

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# A finding's level (Vale's, or warning for contentloop's own checks) in each format's words:
# SARIF level, reviewdog severity, GitHub workflow command.
LEVELS = {
    "suggestion": ("note", "INFO", "notice"),
    "warning": ("warning", "WARNING", "warning"),
    "error": ("error", "ERROR", "error"),
}


def _level(v: CheckResult, fmt: int) -> str:
    return LEVELS.get(v.level or "warning", LEVELS["warning"])[fmt]


TOOL_URI = "https://pypi.org/project/contentloop/"


def _findings(cards: Sequence[ScoreCard]) -> Iterator[tuple[str, CheckResult, Evidence | None]]:
    """(path, violation, one piece of evidence or None) for every located finding."""
    for card in cards:
        for v in card.binary.violations:
            located = [e for e in v.evidence if e.line is not None]
            if located:
                for e in located:
                    yield card.path or "-", v, e
            else:
                yield card.path or "-", v, None


def _message(v: CheckResult, e: Evidence | None) -> str:
    if e is not None and e.message:
        head = e.message
    else:
        head = v.reason if e is None else f"{e.text!r}: {v.reason}"
    if e is not None and e.suggestions:
        head += f" (try: {', '.join(e.suggestions)})"
    return f"{head} [{v.rule or v.id}, -{v.deduction:g} points]" + (
        f" Fix: {v.fix}" if v.fix else ""
    )


def sarif(
    cards: Sequence[ScoreCard],
    rubric: Rubric,
    version: str,
    failures: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """One SARIF 2.1.0 log with one run; a rule per check of the rubric. Files that could not
    be read are the run's error notifications."""
    # A Vale rule goes by Vale's name, so code-scanning dismissals of it carry over.
    names = [
        (c.id, getattr(c, "rule", c.id) if c.type == "vale" else c.id) for c in rubric.binary.checks
    ]
    rules = [
        {
            "id": name,
            "name": name,
            "shortDescription": {"text": c.description or c.id},
            **({"help": {"text": c.fix}} if c.fix else {}),
            "defaultConfiguration": {"level": "warning"},
            "properties": {"type": c.type, "deduction": c.deduction},
        }
        for c, (_, name) in zip(rubric.binary.checks, names, strict=True)
    ]
    index = {cid: i for i, (cid, _) in enumerate(names)}
    results = []
    for path, v, e in _findings(cards):
        location: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
        if e is not None:
            region: dict[str, Any] = {"startLine": e.line}
            if e.column is not None:
                region |= {"startColumn": e.column, "endColumn": e.column + len(e.text)}
            location["region"] = region
        results.append(
            {
                "ruleId": v.rule or v.id,
                **({"ruleIndex": index[v.id]} if v.id in index else {}),
                "level": _level(v, 0),
                "message": {"text": _message(v, e)},
                "locations": [{"physicalLocation": location}],
            }
        )
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "contentloop",
                        "version": version,
                        "informationUri": TOOL_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not failures,
                        "toolExecutionNotifications": [
                            {
                                "level": "error",
                                "message": {"text": message},
                                "locations": [
                                    {"physicalLocation": {"artifactLocation": {"uri": _uri(path)}}}
                                ],
                            }
                            for path, message in failures
                        ],
                    }
                ],
            }
        ],
    }


def _uri(path: str) -> str:
    """A relative path stays relative (code scanning resolves it against the checkout); an
    absolute one becomes a file: URI, as SARIF's uri-reference requires."""
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def rdjsonl(cards: Sequence[ScoreCard], failures: Sequence[tuple[str, str]] = ()) -> Iterator[str]:
    """reviewdog's Diagnostic format, one JSON object per line (`reviewdog -f=rdjsonl`)."""
    for path, message in failures:
        yield json.dumps(
            {
                "message": message,
                "location": {"path": path},
                "severity": "ERROR",
                "source": {"name": "contentloop"},
            },
            ensure_ascii=False,
        )
    for path, v, e in _findings(cards):
        location: dict[str, Any] = {"path": path}
        if e is not None:
            start = {"line": e.line, **({"column": e.column} if e.column else {})}
            location["range"] = {"start": start}
        yield json.dumps(
            {
                "message": _message(v, e),
                "location": location,
                "severity": _level(v, 1),
                "source": {"name": "contentloop"},
                "code": {"value": v.rule or v.id},
            },
            ensure_ascii=False,
        )


def github(cards: Sequence[ScoreCard], failures: Sequence[tuple[str, str]] = ()) -> Iterator[str]:
    """GitHub Actions workflow commands: each finding becomes an annotation on the diff."""
    for path, message in failures:
        yield f"::error file={_escape(path, prop=True)}::{_escape(message)}"
    for path, v, e in _findings(cards):
        props = {"file": path, "title": v.rule or f"contentloop {v.id}"}
        if e is not None:
            props["line"] = str(e.line)
            if e.column is not None:
                props["col"] = str(e.column)
        fields = ",".join(f"{k}={_escape(val, prop=True)}" for k, val in props.items())
        yield f"::{_level(v, 2)} {fields}::{_escape(_message(v, e))}"


def line(cards: Sequence[ScoreCard]) -> Iterator[str]:
    """`vale --output=line`: path:line:col:Style.Rule:message, one alert a line (a finding
    without a place is at 1:1; a contentloop check is named by its id)."""
    for card in cards:
        found = []
        for path, v, e in _findings([card]):
            message = e.message if e is not None and e.message else v.reason
            at = (e.line or 1, e.column or 1) if e is not None else (1, 1)
            found.append((at, f"{path}:{at[0]}:{at[1]}:{v.rule or v.id}:{message}"))
        # In the order of the text, as Vale prints a file's alerts.
        yield from (text for _, text in sorted(found, key=lambda f: f[0]))


def _escape(text: str, prop: bool = False) -> str:
    # The escapes the runner decodes (actions/toolkit, command.ts): data loses % and line
    # breaks; properties also lose the ":" and "," that would end them.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
