"""Seconds for `contentloop --help` against `python -c "import typer, rich"` in the same run.

    python bench/cli_startup.py [--repeat 15]

Each command is a fresh process; the median of --repeat runs is kept (these machines are
noisy). Also times `contentloop score FILE --no-judge`, the smallest command that checks
prose, and lists which of spaCy, lemminflect and textstat `--help` loaded (none should).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("spacy", "lemminflect", "textstat", "llama_cpp", "anthropic", "openai")


def once(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def seconds(cmd: list[str], repeat: int) -> float:
    return statistics.median(once(cmd) for _ in range(repeat))


def paired(a: list[str], b: list[str], repeat: int) -> tuple[float, float]:
    """Medians of a and b run alternately, so a burst of load on the machine hits both."""
    times = [(once(a), once(b)) for _ in range(repeat)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def loaded_by_help() -> list[str]:
    probe = (
        "import sys\nfrom contentloop.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True
        )
        .stderr.strip()
        .splitlines()
    )
    return [m for m in out[-1].split(",") if m] if out else []


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    py = sys.executable
    # The installed `contentloop` script, as a user runs it (python -m adds runpy's import).
    script = Path(py).parent / "contentloop"
    cli = [str(script)] if script.exists() else [py, "-m", "contentloop.cli"]
    base, help_s = paired([py, "-c", "import typer, rich"], [*cli, "--help"], args.repeat)
    score_s = seconds(
        [*cli, "score", "drafts/example-digital-twins.md", "--no-judge"],
        max(3, args.repeat // 3),
    )
    heavy = loaded_by_help()
    print(f'python -c "import typer, rich":        {base:6.3f} s')
    print(
        f"contentloop --help:                    {help_s:6.3f} s   ratio {help_s / base:.2f}x (goal <= 1.5x)"
    )
    print(f"contentloop score FILE --no-judge:     {score_s:6.3f} s   ratio {score_s / base:.1f}x")
    print(f"heavy modules --help loaded: {', '.join(heavy) or 'none'}")
    if args.json:
        print(
            json.dumps(
                {
                    "baseline_s": base,
                    "help_s": help_s,
                    "ratio": help_s / base,
                    "score_no_judge_s": score_s,
                    "heavy_loaded": heavy,
                }
            )
        )


if __name__ == "__main__":
    main()
