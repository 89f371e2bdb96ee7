"""Vale's own test suites, run against contentloop's reading of the same styles.

A style package's `features/rules.feature` lists, scenario by scenario, the exact lines
`vale --output=line --sort --normalize --relative .` prints in `fixtures/<Name>/`. Running
each scenario here and comparing line sets says how closely contentloop reproduces Vale,
rule by rule, on test data written by Vale's authors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.prose import Draft
from .styles import load_ruleset


@dataclass(frozen=True)
class Scenario:
    name: str
    fixture: str
    expected: tuple[str, ...]


@dataclass
class Outcome:
    scenario: Scenario
    produced: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def matched(self) -> set[str]:
        return set(self.scenario.expected) & set(self.produced)

    @property
    def missed(self) -> list[str]:
        return [line for line in self.scenario.expected if line not in self.produced]

    @property
    def extra(self) -> list[str]:
        return [line for line in self.produced if line not in self.scenario.expected]

    @property
    def exact(self) -> bool:
        return sorted(self.produced) == sorted(self.scenario.expected)


def read_features(path: Path) -> list[Scenario]:
    """Scenarios of a Gherkin feature file of the form Vale's styles use; commented-out
    scenarios (`#`) are not scenarios."""
    scenarios: list[Scenario] = []
    name = fixture = None
    block: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if line.startswith("Scenario:"):
            name, fixture = line.removeprefix("Scenario:").strip(), None
        elif m := re.match(r'When I test "([^"]+)"', line):
            fixture = m.group(1)
        elif line == '"""':
            if block is None:
                block = []
            else:
                if name and fixture:
                    scenarios.append(Scenario(name, fixture, tuple(block)))
                block = None
        elif block is not None and line:
            block.append(line)
    return scenarios


def run_fixture(folder: Path) -> tuple[list[str], dict[str, str]]:
    """Lint every file in a fixture folder with its .vale.ini; Vale's `line` output lines."""
    ruleset = load_ruleset(folder / ".vale.ini")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and ruleset.for_path(p.name)  # some rule runs on it, so some section matched
    )
    drafts = [Draft(p.read_text(encoding="utf-8"), path=p.name) for p in files]
    lines = [
        f"{draft.path}:{a.line}:{a.column}:{a.rule}:{a.message}"
        for draft in drafts
        for a in ruleset.lint(draft)
    ]
    return lines, ruleset.skipped


def run_features(package: Path) -> list[Outcome]:
    """Every scenario of one style package (a folder with features/ and fixtures/)."""
    outcomes = []
    for scenario in read_features(package / "features" / "rules.feature"):
        produced, skipped = run_fixture(package / "fixtures" / scenario.fixture)
        outcomes.append(Outcome(scenario, produced, skipped))
    return outcomes


def by_rule(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    """Per rule: alerts Vale expects, how many contentloop matched, and extra ones it gave."""
    table: dict[str, dict[str, int]] = defaultdict(
        lambda: {"expected": 0, "matched": 0, "extra": 0}
    )
    for o in outcomes:
        for line in o.scenario.expected:
            row = table[line.split(":")[3]]
            row["expected"] += 1
            row["matched"] += line in o.produced
        for line in o.extra:
            table[line.split(":")[3]]["extra"] += 1
    return dict(sorted(table.items()))
