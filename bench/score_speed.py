"""Words per second of `score --no-judge` against proselint, on the same corpus, same run.

    python bench/score_speed.py [--corpus generated|readmes] [--posts 120] [--repeat 3] [--jobs N]

Both tools run in-process on the same Markdown files; the best of --repeat runs is kept for
each (the machines are noisy). The figures to read are the ratios: one process against
proselint (which has no parallel mode), and `score --jobs N` (default: every core) against
proselint, which is what `score DIR` does on this machine. Two corpora:

- generated: --posts synthetic blog posts (bench/corpus.py), prose-heavy and plain;
- readmes: real documents written by others, the Markdown long descriptions (PyPI READMEs)
  of every installed distribution over 2,000 characters: badges, HTML, tables, code. The
  set depends on what is installed; the script prints its size.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build  # noqa: E402

from contentloop import load_rubric, score_files  # noqa: E402
from contentloop.check_pool import default_jobs  # noqa: E402
from contentloop.scoring import read_draft  # noqa: E402


def readmes(folder: Path) -> list[Path]:
    """Every installed distribution's Markdown README (its metadata's long description)."""
    from importlib.metadata import distributions

    paths = []
    for dist in sorted(distributions(), key=lambda d: d.metadata["Name"].lower()):
        body = dist.metadata.get_payload() or dist.metadata.get("Description") or ""
        if "markdown" in (dist.metadata.get("Description-Content-Type") or "") and len(body) > 2000:
            path = folder / f"{dist.metadata['Name']}.md"
            if not path.exists():
                path.write_text(body, encoding="utf-8")
                paths.append(path)
    return paths


def best_of(repeat: int, *fns) -> list[float]:
    """The best time of each function over `repeat` rounds, the functions taking turns in
    every round, so that a slow spell of a shared machine falls on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", choices=["generated", "readmes"], default="generated")
    ap.add_argument("--posts", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=default_jobs(), help="processes for --jobs")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp), args.posts) if args.corpus == "generated" else readmes(Path(tmp))
        words = sum(read_draft(p).word_count for p in paths)
        rubric = load_rubric("imagine")

        t0 = time.perf_counter()
        score_files(paths, rubric)  # cold: includes loading spaCy and building matchers
        cold = time.perf_counter() - t0

        from proselint.checks import __register__
        from proselint.config import DEFAULT
        from proselint.registry import CheckRegistry
        from proselint.tools import LintFile

        CheckRegistry().register_many(__register__)
        ours, pooled, theirs = best_of(
            args.repeat,
            lambda: score_files(paths, rubric),
            lambda: score_files(paths, rubric, jobs=args.jobs),
            lambda: [LintFile(p).lint(DEFAULT) for p in paths],
        )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus ({args.corpus}): {len(paths)} documents, {words} words")
    print(
        f"contentloop score --no-judge: {words / ours:,.0f} words/s (cold first pass {cold:.2f} s)"
    )
    print(f"proselint:                    {words / theirs:,.0f} words/s")
    print(f"ratio contentloop/proselint:  {theirs / ours:.2f}x (one process)")
    print(
        f"with --jobs {args.jobs}:               {words / pooled:,.0f} words/s, "
        f"{theirs / pooled:.2f}x proselint"
    )
    print(f"peak RSS of this process:     {peak_mb:.0f} MB")
    if args.json:
        figures = {
            "corpus": args.corpus,
            "posts": len(paths),
            "words": words,
            "words_per_s": words / ours,
            "proselint_words_per_s": words / theirs,
            "ratio": theirs / ours,
            "jobs": args.jobs,
            "ratio_jobs": theirs / pooled,
            "cold_s": cold,
            "peak_rss_mb": peak_mb,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
