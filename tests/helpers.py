"""What several test modules share: scripted worlds, sample drafts and small helpers.
Fixtures live in conftest.py; test modules import from here, never from each other."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from contentloop import Rubric, score_text
from contentloop.checks import CheckResult
from contentloop.cli import app
from contentloop.llm.openai_api import OpenAIBackend
from contentloop.optimize import Budget, GatePlan, OptimizeRun
from contentloop.testing import Reply
from contentloop.topic import load_topics

ROOT = Path(__file__).resolve().parent.parent


def role_of(body: dict) -> str:
    """Which role a request to a scripted server comes from, told by its structure, never by
    a prompt's wording: the proposer's reply schema has new_text, the judge's has criteria;
    without a schema (prompt-only JSON), the system prompt shows the reply's JSON keys."""
    fmt = body.get("response_format") or (body.get("output_config") or {}).get("format") or {}
    schema = fmt.get("json_schema", {}).get("schema") if "json_schema" in fmt else fmt.get("schema")
    system = body["messages"][0]["content"] if body.get("messages") else ""
    system = body.get("system", system) if isinstance(body.get("system"), str) else system
    if schema:
        return "optimizer" if "new_text" in schema.get("properties", {}) else "judge"
    if '"new_text"' in system:
        return "optimizer"
    return "judge" if '"rationale"' in system else "writer"


def result(text: str, rubric: Rubric, check_id: str) -> CheckResult:
    """Score `text` and return one check's result."""
    card = score_text(text, rubric)
    (found,) = [r for r in card.binary.results if r.id == check_id]
    return found


def hits(text: str, rubric: Rubric, check_id: str) -> list[tuple[str, int | None]]:
    return [(e.text, e.line) for e in result(text, rubric, check_id).evidence]


def verdict(rubric, scores, rationale="because") -> str:
    names = [c.name for c in rubric.judge.criteria]
    if isinstance(scores, int):
        scores = [scores] * len(names)
    return json.dumps(
        {
            n: {"rationale": f"{rationale} {n}", "score": s}
            for n, s in zip(names, scores, strict=False)
        }
    )


# --- write: a scripted writer and judge -------------------------------------------------

TOPIC = str(ROOT / "topics" / "private-5g.yaml")

BAD = """# Private 5G

Plants leverage Wi-Fi everywhere! It drops when forklifts pass.

> **Key insight:** scheduling matters.

> **Industrial application:** a press line.

## Next steps

Run a pilot.
"""
GOOD = """# Private 5G

Plants run Wi-Fi everywhere, and it drops when forklifts pass. But here's the shift: a
private cell schedules every device.

> **Key insight:** scheduling matters. GOODMARK

> **Industrial application:** a press line.

## Next steps

Run a pilot.
"""
WORSE = BAD.replace("Run a pilot.", "My team will leverage synergy and disrupt everything!")


class Script:
    """A writer that answers from a list, and a judge that likes GOODMARK."""

    def __init__(self, rubric, drafts):
        self.rubric = rubric
        self.drafts = list(drafts)
        self.writer_requests = []

    def __call__(self, body):
        user = body["messages"][-1]["content"]
        if role_of(body) == "judge":
            if "GOODMARK" in user:
                return verdict(self.rubric, 9)
            return verdict(self.rubric, [6, 3, 6, 6, 5, 6], rationale="weak because")
        self.writer_requests.append(body)
        nxt = self.drafts.pop(0)
        return nxt if isinstance(nxt, Reply) else Reply(text=nxt)


def run_write(server, out: Path, *extra: str, topics: Path | None = None):
    """`contentloop write` against a scripted server: the example topic, or `--topics`."""
    args = [
        "write",
        *(("--topics", str(topics)) if topics else ("--topic", TOPIC)),
        "--out",
        str(out),
        "--no-cache",
        "--backend",
        "openai",
        "--base-url",
        server.url + "/v1",
        "--model",
        "writer-m",
        "--judge-model",
        "judge-m",
        *extra,
    ]
    return CliRunner().invoke(app, args, catch_exceptions=False)


def the_run(out: Path) -> Path:
    (folder,) = [p for p in (out / "private-5g").iterdir() if p.is_dir()]
    return folder


# --- optimize-skill: a scripted world on a git repository ------------------------------------


def git(*args, cwd):
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def edit(section, text, hypothesis="h"):
    return json.dumps({"section": section, "new_text": text, "hypothesis": hypothesis})


class World:
    """Writer: a good draft when the skill says MAGIC. Judge: likes GOODMARK. Optimizer: scripted."""

    def __init__(self, rubric, proposals):
        self.rubric = rubric
        self.proposals = list(proposals)

    def __call__(self, body):
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        role = role_of(body)
        if role == "judge":
            return verdict(self.rubric, 9 if "GOODMARK" in user else 5)
        if role == "optimizer":
            return self.proposals.pop(0)
        return GOOD if "MAGIC" in system else BAD


# A small gate for a noiseless scripted world: 2 baseline drafts per topic, up to 3 stages,
# 1 confirmation draft per topic. The defaults are measured in bench/gate_power.py.
SMALL = GatePlan(best_min=2, best_ratio=2.0, max_stages=3, confirm_stages=1)


def make_run(repo, server, rubric, *, tag="t1", **kw):
    backend = OpenAIBackend("m", base_url=server.url + "/v1", max_retries=0)
    kw.setdefault("budget", Budget(max_experiments=4))
    kw.setdefault("gate", SMALL)
    return OptimizeRun.new(
        repo / "skills" / "imagine",
        load_topics(repo / "topics"),
        rubric,
        writer=backend,
        judge=backend,
        optimizer=backend,
        run_dir=repo / "runs" / tag,
        tag=tag,
        **kw,
    )


class SeededWorld(World):
    """Proposals chosen by experiment number (the request's seed), so a run that is killed and
    resumed asks for, and gets, the same edits as a run that never stopped."""

    def __call__(self, body):
        if role_of(body) == "optimizer":
            return self.proposals[(body["seed"] - 1) % len(self.proposals)]
        return super().__call__(body)


def seeded_proposals(repo):
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    final_check = (repo / "skills" / "imagine" / "final_check.md").read_text()
    return [
        edit("examples", "A longer example that changes nothing. " * 20, "longer examples"),
        edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "pivot rule"),
        edit("../rubrics/imagine", "x", "escape"),
        edit("final_check", final_check.splitlines()[0], "shorter"),
    ]


def comparable(run_dir):
    rows = (run_dir / "results.tsv").read_text().splitlines()
    keep = ("score", "stdev", "status", "description", "section", "delta", "noise")
    header = rows[0].split("\t")
    return [tuple(dict(zip(header, r.split("\t"), strict=True))[k] for k in keep) for r in rows[1:]]


# A rubric with one check (no "!"), named like the default so that `--rubric` finds it in a
# repository's own rubrics/ folder: for tests that run contentloop as CI would.
LENIENT_RUBRIC = """name: imagine
binary:
  max_points: 40
  checks:
    - id: exclamation
      type: pattern
      pattern: "!"
      deduction: 4
judge:
  max_points: 60
  criteria:
    - name: clarity
      description: Clear.
      anchors: {"1": a, "4": b, "7": c, "10": d}
"""


def vale_ruleset(tmp_path: Path, style: str = "Docs", glob: str = "*.md", **rules: str):
    """A .vale.ini in `tmp_path` whose one style holds `rules` (name -> YAML), run on the
    files `glob` matches, loaded."""
    from contentloop.vale.styles import load_ruleset

    folder = tmp_path / "styles" / style
    folder.mkdir(parents=True)
    for name, text in rules.items():
        (folder / f"{name}.yml").write_text(text)
    (tmp_path / ".vale.ini").write_text(f"StylesPath = styles\n[{glob}]\nBasedOnStyles = {style}\n")
    return load_ruleset(tmp_path / ".vale.ini")


def vale_alerts(rules, text: str, path: str = "x.md") -> list[tuple[str, int, int, str]]:
    """(rule, line, column, matched text) of each alert `rules` give on `text`."""
    from contentloop.checks.prose import Draft

    return [(a.rule, a.line, a.column, a.text) for a in rules.lint(Draft(text, path=path))]
