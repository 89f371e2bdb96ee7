"""Can the rule checks have spaCy's tokenizer without spaCy's start? (issue 32, the resident
checker). Each row is a fresh process; medians of --repeat runs, against Python's own start
measured in the same run.

- `import spacy` and `spacy.blank("en")`: what `score --no-judge` pays today on a changed file;
- `import spacy.tokenizer`: the tokenizer module alone still runs spaCy's package __init__
  (thinc, the CLI, weasel), so it costs what `import spacy` costs;
- the tokenizer loaded with spaCy's package __init__ skipped (a stub package): the only way
  around it. Its row says whether the import worked at all.

    python bench/spacy_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": "pass",
    "import spacy": "import spacy",
    "import spacy; spacy.blank('en')": "import spacy; spacy.blank('en')",
    "import spacy.tokenizer": "import spacy.tokenizer",
    "spacy.tokenizer, package __init__ skipped": (
        "import importlib.util, sys, types\n"
        "spec = importlib.util.find_spec('spacy')\n"
        "pkg = types.ModuleType('spacy'); pkg.__path__ = list(spec.submodule_search_locations)\n"
        "sys.modules['spacy'] = pkg\n"
        "try:\n"
        "    from spacy.tokenizer import Tokenizer\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    ),
}


def once(code: str) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return time.perf_counter() - t, (proc.stdout + proc.stderr).strip().splitlines()[-1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in CASES}
    notes: dict[str, str] = {}
    for _ in range(args.repeat):  # alternate the cases, so a burst of load hits all of them
        for label, code in CASES.items():
            seconds, note = once(code)
            times[label].append(seconds)
            notes[label] = note[0] if note else "ok"
    base = statistics.median(times["python -c pass"])
    for label in CASES:
        med = statistics.median(times[label])
        print(f"{label:44} {med:6.2f} s  {med / base:5.1f}x python's start   {notes[label]}")


if __name__ == "__main__":
    main()
