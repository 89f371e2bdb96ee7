"""What Vale style packages cost: `lint` with 82 rules against `score --no-judge` (the default
rubric's rule checks), on the same documents, in the same run.

    python bench/vale_speed.py [--repeat 3] [--with-builtin]

The corpus is bench/score_speed.py's "readmes": every installed distribution's Markdown README
over 2,000 characters (real documents written by others). The configuration names the three
packages in tests/data/vale-styles (write-good, Microsoft, proselint: 82 rules); with
--with-builtin, Vale's own style too (Vale.Spelling, Vale.Repetition). Each run is
in-process, one process, no cache; the best of --repeat rounds, the runs taking turns in each
round (these machines are noisy). The figure to read is the ratio: Vale rules over rule-only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from score_speed import best_of, readmes  # noqa: E402

from contentloop import load_rubric, score_files  # noqa: E402
from contentloop.scoring import read_draft  # noqa: E402
from contentloop.vale.lint import vale_rubric  # noqa: E402

STYLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "vale-styles"
PACKAGES = ("write-good", "Microsoft", "proselint")


def config(folder: Path, builtin: bool) -> Path:
    styles = folder / "styles"
    for package in PACKAGES:
        shutil.copytree(STYLES / package / package, styles / package)
    names = ", ".join((*PACKAGES, "Vale") if builtin else PACKAGES)
    ini = folder / ".vale.ini"
    ini.write_text(f"StylesPath = styles\n\n[*.md]\nBasedOnStyles = {names}\n")
    return ini


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--with-builtin", action="store_true", help="add Vale's own style")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = readmes(Path(tmp))
        words = sum(read_draft(p).word_count for p in paths)
        rules_only = load_rubric("imagine")
        vale = vale_rubric(config(Path(tmp), args.with_builtin))
        n_rules = sum(1 for c in vale.binary.checks if c.type == "vale")
        # Warm both (spaCy, matchers, compiled rules, dictionaries) before timing.
        score_files(paths, rules_only)
        score_files(paths, vale)
        plain, linted = best_of(
            args.repeat,
            lambda: score_files(paths, rules_only),
            lambda: score_files(paths, vale),
        )
    print(f"corpus (readmes): {len(paths)} documents, {words} words")
    print(f"rule-only (score --no-judge, rubric imagine): {plain:.2f} s")
    print(f"lint with {n_rules} Vale rules:                  {linted:.2f} s")
    print(f"ratio Vale/rule-only: {linted / plain:.2f}x (target: within 2x)")
    if args.json:
        figures = {
            "documents": len(paths),
            "words": words,
            "vale_rules": n_rules,
            "rule_only_s": plain,
            "vale_s": linted,
            "ratio": linted / plain,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
