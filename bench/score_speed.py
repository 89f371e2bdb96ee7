"""Words per second of `score --no-judge` against proselint, on the same corpus, same run.

    python bench/score_speed.py [--corpus generated|readmes] [--posts 120] [--repeat 3]

Both tools run in-process on the same Markdown files; the best of --repeat runs is kept for
each (the machines are noisy). The figure to read is the ratio. Two corpora:

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


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", choices=["generated", "readmes"], default="generated")
    ap.add_argument("--posts", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp), args.posts) if args.corpus == "generated" else readmes(Path(tmp))
        words = sum(read_draft(p).word_count for p in paths)
        rubric = load_rubric("imagine")

        t0 = time.perf_counter()
        score_files(paths, rubric)  # cold: includes loading spaCy and building matchers
        cold = time.perf_counter() - t0
        ours = best_of(args.repeat, lambda: score_files(paths, rubric))

        from proselint.checks import __register__
        from proselint.config import DEFAULT
        from proselint.registry import CheckRegistry
        from proselint.tools import LintFile

        CheckRegistry().register_many(__register__)
        theirs = best_of(args.repeat, lambda: [LintFile(p).lint(DEFAULT) for p in paths])

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus ({args.corpus}): {len(paths)} documents, {words} words")
    print(
        f"contentloop score --no-judge: {words / ours:,.0f} words/s (cold first pass {cold:.2f} s)"
    )
    print(f"proselint:                    {words / theirs:,.0f} words/s")
    print(f"ratio contentloop/proselint:  {theirs / ours:.2f}x")
    print(f"peak RSS of this process:     {peak_mb:.0f} MB")
    if args.json:
        figures = {
            "corpus": args.corpus,
            "posts": len(paths),
            "words": words,
            "words_per_s": words / ours,
            "proselint_words_per_s": words / theirs,
            "ratio": theirs / ours,
            "cold_s": cold,
            "peak_rss_mb": peak_mb,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
