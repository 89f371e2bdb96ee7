"""`contentloop view`'s first page over many runs, against listing the same runs.

One real write run (a scripted judge on 127.0.0.1, `write --cycles 2`) is copied --runs times
under drafts/; the runs page is fetched in-process (Starlette's test client: no socket, no
browser) and timed against `contentloop runs --json`'s work on the same folders (find_runs +
run_row), measured in the same run. Best of --repeat each, taking turns.

    python bench/view_speed.py [--runs 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from helpers import BAD, GOOD, WORSE, Script, run_write, the_run  # noqa: E402
from score_speed import best_of  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from contentloop.report import find_runs, run_row  # noqa: E402
from contentloop.rubric import load_rubric  # noqa: E402
from contentloop.testing import OpenAIServer  # noqa: E402
from contentloop.viewer import make_app  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        drafts = Path(tmp) / "drafts"
        with OpenAIServer(Script(load_rubric("imagine"), [BAD, WORSE, GOOD])) as server:
            assert run_write(server, drafts, "--cycles", "2").exit_code == 0
        first = the_run(drafts)
        for i in range(1, args.runs):
            # Distinct folder names, in the run-id form the readers date runs by.
            shutil.copytree(first, first.parent / f"20261201-{i:06d}")
        client = TestClient(make_app([drafts]))
        page_s, listing_s = best_of(
            args.repeat,
            lambda: client.get("/"),
            lambda: [run_row(r) for r in find_runs(drafts)],
        )
        page = client.get("/")
        size = len(page.content)
        rows = [run_row(r) for r in find_runs(drafts)]
        assert page.status_code == 200 and len(rows) == args.runs
        shown = page.text.count('href="/run?')
    print(f"{args.runs} write runs (3 versions each); the runs page lists {shown}")
    print(f"view's first page: {page_s:.3f} s ({size:,} bytes) (target: under 1 s)")
    print(f"the same runs listed (find_runs + run_row, what `runs --json` does): {listing_s:.3f} s")
    print(f"ratio page / listing: {page_s / listing_s:.2f}")
    if args.json:
        print(json.dumps({"runs": args.runs, "page_s": page_s, "listing_s": listing_s}))


if __name__ == "__main__":
    main()
