"""Where does prose end and a loop begin? The `repetition` check's compression threshold
(contentloop.checks.repetition.LOOP_RATIO) against real documents and against loops.

- Real documents, for precision: every installed distribution's Markdown README (their
  authors', not ours), this repository's docs/ and its example posts in drafts/. Each prose
  paragraph of 200 characters or more is measured as the check measures it (the most any
  400-character stretch compresses with zlib). Flagged here = a false alert.
- Loops, for recall: the degenerate paragraph issue 37 quotes from the embedded model, and
  300 seeded loops of a 5-10 word phrase repeated with 1 to 3 words or numbers changed each
  time (200 to 600 characters), as small models write them.

    python bench/repetition_loops.py [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from score_speed import readmes  # noqa: E402

from contentloop.checks.prose import Draft  # noqa: E402
from contentloop.checks.repetition import LOOP_RATIO, MIN_CHARS, compression  # noqa: E402

ISSUE_37 = (
    "PUBLIC 20k square meters assembly hall of the plant floor: PUBLIC 10K square metres "
    "assembly hall of the plant floor: PUBLIC 5G on the plant floor: PUBLIC 5G on the shop "
    "floor: PUBLIC 20k square meters of the plant floor: PUBLIC 10k square metres of the "
    "assembly hall:"
)
WORDS = (
    "plant floor assembly hall square meters sensor line shift operator network latency edge "
    "gateway"
).split()


def paragraphs(paths: list[Path]) -> list[tuple[str, str]]:
    out = []
    for p in paths:
        draft = Draft(p.read_text(encoding="utf-8"), path=str(p))
        for block in draft.blocks:
            text = " ".join(draft.prose[block.start : block.end].split())
            if len(text) >= MIN_CHARS:
                out.append((p.name, text))
    return out


def loops(n: int = 300, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        base = [rng.choice(WORDS) for _ in range(rng.randint(5, 10))]
        parts: list[str] = []
        length = rng.randint(200, 600)
        while sum(len(x) + 2 for x in parts) < length:
            words = list(base)
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice([*WORDS, f"{rng.randint(1, 99)}k"])
            parts.append(" ".join(words))
        out.append(": ".join(parts) + ".")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = readmes(Path(tmp))
        paths += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "drafts").glob("*.md"))
        real = [(name, compression(text)) for name, text in paragraphs(paths)]
    fake = [compression(t) for t in loops()]
    false = [(name, r) for name, r in real if r > LOOP_RATIO]
    caught = sum(r > LOOP_RATIO for r in fake)
    result = {
        "threshold": LOOP_RATIO,
        "real_documents": len(paths),
        "real_paragraphs": len(real),
        "real_flagged": len(false),
        "real_highest": round(max(r for _, r in real), 3),
        "loops": len(fake),
        "loops_caught": caught,
        "issue_37_example": round(compression(ISSUE_37), 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"threshold {LOOP_RATIO}x: real paragraphs flagged {len(false)} of {len(real)} "
        f"(from {len(paths)} documents; highest {result['real_highest']}x); loops caught "
        f"{caught} of {len(fake)} ({caught / len(fake):.0%}); issue 37's example "
        f"{result['issue_37_example']}x"
    )
    for name, r in false:
        print(f"  false alert: {name} {r:.2f}x")


if __name__ == "__main__":
    main()
