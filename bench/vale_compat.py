"""How closely contentloop reproduces Vale on Vale's own test suites.

    python bench/vale_compat.py [--styles tests/data/vale-styles] [--json]

For each style package (write-good, Microsoft, proselint, as published), every scenario of
its features/rules.feature is run on its fixture folder with the package's .vale.ini, and the
lines contentloop prints are compared with the exact lines Vale printed
(`file:line:column:Style.Rule:message`). Prints scenarios matched exactly, then alerts
expected / matched / extra rule by rule, then the rules contentloop did not run and why.
There is no Vale binary here to time against: this is agreement, not speed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from contentloop.vale.features import by_rule, run_features

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--styles", type=Path, default=ROOT / "tests" / "data" / "vale-styles")
    ap.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = ap.parse_args()

    packages = sorted(p.parent.parent.name for p in args.styles.glob("*/features/rules.feature"))
    outcomes = {p: run_features(args.styles / p) for p in packages}
    every = [o for os_ in outcomes.values() for o in os_]
    exact = sum(o.exact for o in every)
    table = by_rule(every)
    expected = sum(r["expected"] for r in table.values())
    matched = sum(r["matched"] for r in table.values())
    extra = sum(r["extra"] for r in table.values())
    skipped = sorted({(k, v) for o in every for k, v in o.skipped.items()})

    print(f"scenarios matched exactly: {exact} / {len(every)}")
    for p, os_ in outcomes.items():
        print(f"  {p}: {sum(o.exact for o in os_)} / {len(os_)}")
    print(f"alerts: {matched} / {expected} of Vale's found, {extra} not in Vale's output\n")
    print(f"{'rule':32} {'expected':>8} {'matched':>8} {'extra':>6}")
    for rule, row in table.items():
        print(f"{rule:32} {row['expected']:>8} {row['matched']:>8} {row['extra']:>6}")
    for o in every:
        for line in o.missed:
            print(f"missed: {line}")
        for line in o.extra:
            print(f"extra:  {line}")
    if skipped:
        print("\nnamed by a fixture's .vale.ini but not run:")
        for name, why in skipped:
            print(f"  {name}: {why}")
    if args.json:
        print(
            json.dumps(
                {
                    "scenarios": len(every),
                    "exact": exact,
                    "alerts_expected": expected,
                    "alerts_matched": matched,
                    "alerts_extra": extra,
                    "rules": table,
                    "skipped": dict(skipped),
                }
            )
        )


if __name__ == "__main__":
    main()
