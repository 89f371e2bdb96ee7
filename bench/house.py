"""The shape of the code: how contentloop's modules import each other, and how big they are.

Rooms are contentloop's top-level modules and sub-packages (checks/, optimize/, ...); an arrow
is one room importing another (imports inside functions and TYPE_CHECKING blocks count); a
cycle is a set of rooms, or of modules, that import each other; floors are the longest chain
of arrows plus one (a house with no cycles has a floor for each layer). Also: the largest
module, modules over 400 lines, functions over 60 lines, README lines.

    python bench/house.py                 # this checkout
    python bench/house.py --before REF    # REF (a git worktree) and this checkout side by side
    python bench/house.py --json
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules(root: Path) -> dict[str, Path]:
    pkg = root / "contentloop"
    out = {}
    for path in sorted(pkg.rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the contentloop modules it imports (not its own package or parents)."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        base = name.split(".") if is_pkg else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                stem = base[: len(base) - node.level + 1] if node.level else []
                mod = ".".join([*stem, node.module] if node.module else stem)
                targets = [mod, *(f"{mod}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t in mods and t != name and not name.startswith(t + "."):
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def floors(graph: dict[str, set[str]]) -> int:
    """Longest import chain, counted in rooms, over the graph with each cycle as one node."""
    comp_of = {m: m for m in graph}
    for comp in cycles(graph):
        for m in comp:
            comp_of[m] = comp[0]
    dag: dict[str, set[str]] = {}
    for m, ts in graph.items():
        dag.setdefault(comp_of[m], set()).update(comp_of[t] for t in ts if comp_of[t] != comp_of[m])
    depth: dict[str, int] = {}

    def d(n: str) -> int:
        if n not in depth:
            depth[n] = 0
            depth[n] = 1 + max((d(t) for t in dag.get(n, ())), default=0)
        return depth[n]

    sys.setrecursionlimit(10_000)
    return max((d(n) for n in dag), default=0)


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def long_functions(path: Path, limit: int = 60) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            if n > limit:
                out.append(f"{path.stem}.{node.name} ({n})")
    return out


def measure(root: Path) -> dict:
    mods = modules(root)
    graph = imports(mods)
    rooms: dict[str, set[str]] = {}
    for m, ts in graph.items():
        rooms.setdefault(room(m), set()).update(room(t) for t in ts if room(t) != room(m))
    sizes = sorted(((sum(1 for _ in p.open()), m) for m, p in mods.items()), reverse=True)
    longs = [f for p in mods.values() for f in long_functions(p)]
    return {
        "modules": len(mods),
        "module_arrows": sum(len(t) for t in graph.values()),
        "module_cycles": cycles(graph),
        "rooms": len(rooms),
        "room_arrows": sum(len(t) for t in rooms.values()),
        "room_cycles": cycles(rooms),
        "floors": floors(rooms),
        "largest_module": {"name": sizes[0][1], "lines": sizes[0][0]},
        "modules_over_400": [f"{m} ({n})" for n, m in sizes if n > 400],
        "functions_over_60": sorted(longs),
        "readme_lines": sum(1 for _ in (root / "README.md").open()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", help="a git ref to measure beside this checkout")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {}
    if args.before:
        with tempfile.TemporaryDirectory(prefix="house-") as tmp:
            tree = Path(tmp) / "before"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(tree), args.before],
                cwd=ROOT,
                check=True,
            )
            try:
                results["before"] = measure(tree)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    results["now"] = measure(ROOT)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    cols = list(results)
    rows = [
        ("rooms (top-level modules and packages)", lambda r: r["rooms"]),
        ("floors (longest import chain of rooms)", lambda r: r["floors"]),
        ("arrows between rooms", lambda r: r["room_arrows"]),
        ("import cycles between rooms", lambda r: len(r["room_cycles"])),
        ("modules", lambda r: r["modules"]),
        ("arrows between modules", lambda r: r["module_arrows"]),
        ("import cycles between modules", lambda r: len(r["module_cycles"])),
        ("largest module (lines)", lambda r: r["largest_module"]["lines"]),
        ("modules over 400 lines", lambda r: len(r["modules_over_400"])),
        ("functions over 60 lines", lambda r: len(r["functions_over_60"])),
        ("README lines", lambda r: r["readme_lines"]),
    ]
    print(f"{'':42}" + "".join(f"{c:>10}" for c in cols))
    for label, get in rows:
        print(f"{label:42}" + "".join(f"{get(results[c]):>10}" for c in cols))
    now = results["now"]
    for cyc in now["module_cycles"]:
        print("cycle:", " <-> ".join(cyc))
    for big in now["modules_over_400"]:
        print("over 400 lines:", big)
    print("largest module:", now["largest_module"]["name"])


if __name__ == "__main__":
    main()
