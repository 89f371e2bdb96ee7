"""What changed between two score cards: per check, per criterion, and which violations
appeared or disappeared. Works on the `score --json` contract, so it compares cards from
any run, any day, as long as they share a rubric. `load_card` reads a card, or scores a draft."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import ContentloopError


def _violations(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["check"]: v for v in card["binary"]["violations"]}


def _spots(card: dict[str, Any]) -> Counter[tuple[str, str]]:
    # A violation is the same one when the same check flags the same words: line numbers
    # move when text above them changes, so they are shown but not compared.
    return Counter(
        (v["check"], e["text"].lower()) for v in card["binary"]["violations"] for e in v["evidence"]
    )


def _lines(card: dict[str, Any]) -> dict[tuple[str, str], int | None]:
    return {
        (v["check"], e["text"].lower()): e.get("line")
        for v in card["binary"]["violations"]
        for e in v["evidence"]
    }


def diff_cards(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The change from card `a` to card `b`; positive deltas are improvements."""
    va, vb = _violations(a), _violations(b)
    checks = []
    for check in sorted(set(va) | set(vb)):
        da = va.get(check, {}).get("deduction", 0.0)
        db = vb.get(check, {}).get("deduction", 0.0)
        checks.append(
            {
                "check": check,
                "count_a": va.get(check, {}).get("count", 0),
                "count_b": vb.get(check, {}).get("count", 0),
                "deduction_a": da,
                "deduction_b": db,
                "delta": round(da - db, 3),  # points regained
            }
        )
    criteria = []
    ja, jb = a.get("judge") or {}, b.get("judge") or {}
    ca = {c["name"]: c["score"] for c in ja.get("criteria", [])}
    cb = {c["name"]: c["score"] for c in jb.get("criteria", [])}
    for name in list(ca) + [n for n in cb if n not in ca]:
        criteria.append({"name": name, **_triple(ca.get(name), cb.get(name))})
    sa, sb = _spots(a), _spots(b)
    la, lb = _lines(a), _lines(b)
    appeared = [
        {"check": c, "text": t, "line": lb.get((c, t)), "count": n}
        for (c, t), n in (sb - sa).items()
    ]
    fixed = [
        {"check": c, "text": t, "line": la.get((c, t)), "count": n}
        for (c, t), n in (sa - sb).items()
    ]
    # A check that fails in both cards with other evidence (the lead_pivot check quoting a
    # rewritten lead) is still failing: pair its old and new spots rather than calling one
    # fixed and the other introduced.
    changed = []
    for check in sorted(set(va) & set(vb)):
        gone = [x for x in fixed if x["check"] == check]
        new = [x for x in appeared if x["check"] == check]
        for old_spot, new_spot in zip(gone, new, strict=False):
            changed.append(
                {
                    "check": check,
                    "before": old_spot["text"],
                    "after": new_spot["text"],
                    "line": new_spot["line"],
                }
            )
            fixed.remove(old_spot)
            appeared.remove(new_spot)
    return {
        "a": a.get("path"),
        "b": b.get("path"),
        "same_rubric": a["rubric"]["sha256"] == b["rubric"]["sha256"],
        "total": _triple(a["total"], b["total"]),
        "binary": _triple(a["binary"]["score"], b["binary"]["score"]),
        "judge": _triple(ja.get("score"), jb.get("score")),
        "checks": checks,
        "criteria": criteria,
        "appeared": appeared,
        "disappeared": fixed,
        "still_failing": changed,
    }


def _triple(a: float | None, b: float | None) -> dict[str, float | None]:
    delta = None if a is None or b is None else round(b - a, 3)
    return {"a": a, "b": b, "delta": delta}


def text_diff(a: str, b: str, a_name: str = "before", b_name: str = "after") -> list[str]:
    """A unified diff of two texts, by line, with a little context."""
    return list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), fromfile=a_name, tofile=b_name, lineterm="", n=2
        )
    )


def load_card(path: Path, rubric_ref: str) -> dict[str, Any]:
    """A score card from a `score --json` file, or from scoring a draft's rules."""
    from ..rubric import load_rubric
    from ..scoring import read_draft, score_drafts

    if path.suffix == ".json":
        try:
            text = path.read_text(encoding="utf-8")
            try:
                card = json.loads(text)  # a v<N>.score.json from a run folder
            except json.JSONDecodeError:
                card = json.loads(text.splitlines()[0])  # `score --json` output: one per line
        except (OSError, IndexError, json.JSONDecodeError) as exc:
            raise ContentloopError(
                f"is not a score card ({exc}).",
                path=path,
                fix="pass the output of `contentloop score DRAFT --json`, or a draft .md file.",
            ) from None
        if not {"total", "binary", "rubric"} <= set(card):
            raise ContentloopError(
                "is JSON but not a score card (no total, binary or rubric).",
                path=path,
                fix="pass the output of `contentloop score DRAFT --json`.",
            )
        return card
    (card,) = score_drafts([read_draft(path)], load_rubric(rubric_ref))
    return card.to_json()
