"""What the check cache saves: `score DIR --no-judge` on an unchanged tree against the same
command with `--no-cache`, in the same run, and one small file against Python's own start.

    python bench/score_cache.py [--posts 120] [--repeat 3]

Every command is a fresh process with its own CONTENTLOOP_HOME, as in CI; medians of
--repeat runs, alternating the commands compared so a burst of load hits both. Bytecode
caching is on for the children even when PYTHONDONTWRITEBYTECODE is set (these machines set
it): `pip install` compiles .pyc files, so that is how an installed contentloop starts. From
an editable checkout with the variable set, each command also compiles its modules (~0.25 s).
A changed file is compared with spaCy's own start (import and a blank English pipeline):
no spaCy-based check can start faster in its own process, so what contentloop adds is the
difference. The last row is the same changed file sent to a resident checker (`contentloop
daemon start`), which started spaCy once, before the timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def once(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode())
    return time.perf_counter() - t


def paired(a: list[str], b: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    times = [(once(a, env), once(b, env)) for _ in range(repeat)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--posts", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()
    py = sys.executable
    script = Path(py).parent / "contentloop"
    cli = [str(script)] if script.exists() else [py, "-m", "contentloop.cli"]

    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "docs"
        tree.mkdir()
        build(tree, args.posts)
        small = ROOT / "drafts" / "example-digital-twins.md"
        env = {**os.environ, "CONTENTLOOP_HOME": str(Path(tmp) / "home")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("CONTENTLOOP_NO_DAEMON", None)
        tree_cmd = [*cli, "score", str(tree), "--no-judge", "--json"]
        once(tree_cmd, env)  # fills the cache (and the inflection cache)
        uncached, cached = paired([*tree_cmd, "--no-cache"], tree_cmd, env, args.repeat)

        small_cmd = [*cli, "score", str(small), "--no-judge", "--json"]
        once(small_cmd, env)
        base, small_hit = paired([py, "-c", "import typer, rich"], small_cmd, env, args.repeat * 3)
        # A changed file must be tokenized, so its floor is spaCy's own start: importing
        # spacy and building the blank pipeline the checks use (checks/nlp.py).
        spacy_cmd = [py, "-c", "import spacy; spacy.blank('en').add_pipe('sentencizer')"]
        spacy_start, small_miss = paired(
            spacy_cmd, [*small_cmd, "--no-cache"], env, max(3, args.repeat)
        )
        # The same changed file through a resident checker (`contentloop daemon start`),
        # which paid spaCy's start once; CONTENTLOOP_NO_DAEMON keeps the rows above in-process.
        subprocess.run(
            [*cli, "daemon", "start", "--idle", "300"], env=env, check=True, capture_output=True
        )
        try:
            small_resident = statistics.median(
                once([*small_cmd, "--no-cache"], env) for _ in range(args.repeat * 3)
            )
        finally:
            subprocess.run([*cli, "daemon", "stop"], env=env, capture_output=True)

    print(f"{args.posts} posts, --no-cache:          {uncached:6.2f} s")
    print(
        f"{args.posts} posts, unchanged (cached):  {cached:6.2f} s   {uncached / cached:.1f}x faster"
    )
    print(f'python -c "import typer, rich":     {base:6.2f} s')
    print(
        f"one small file, cached:             {small_hit:6.2f} s   ratio {small_hit / base:.1f}x (goal <= 0.5 s)"
    )
    print(f"spaCy's start (import, blank('en')): {spacy_start:6.2f} s")
    print(
        f"one small file, changed:            {small_miss:6.2f} s   "
        f"{small_miss - spacy_start:+.2f} s over spaCy's start"
    )
    print(
        f"one small file, changed, resident:  {small_resident:6.2f} s   "
        f"{small_miss / small_resident:.1f}x faster than in-process (goal <= 0.5 s)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "posts": args.posts,
                    "uncached_s": uncached,
                    "cached_s": cached,
                    "speedup": uncached / cached,
                    "baseline_s": base,
                    "small_cached_s": small_hit,
                    "small_changed_s": small_miss,
                    "spacy_start_s": spacy_start,
                    "small_changed_resident_s": small_resident,
                }
            )
        )


if __name__ == "__main__":
    main()
