"""The shape of the code holds (docs/architecture.md): no import cycles between contentloop's
modules, no module over 400 lines, a README a newcomer reads in five minutes. bench/house.py
prints the same figures, and the ones before a change beside them."""

import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("house", ROOT / "bench" / "house.py")
house = importlib.util.module_from_spec(spec)
spec.loader.exec_module(house)


def test_the_import_walk_sees_a_cycle_when_there_is_one(tmp_path):
    pkg = tmp_path / "contentloop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")  # inside a function counts
    (pkg / "c.py").write_text("from .a import y\n")
    graph = house.imports(house.modules(tmp_path))
    assert house.cycles(graph) == [["contentloop.a", "contentloop.b"]]


def test_no_module_imports_a_module_that_imports_it_back():
    cycles = house.cycles(house.imports(house.modules(ROOT)))
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_module_is_over_400_lines_and_the_readme_is_short():
    shape = house.measure(ROOT)
    assert shape["modules_over_400"] == []
    assert shape["readme_lines"] <= 250
