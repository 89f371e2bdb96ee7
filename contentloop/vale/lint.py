"""`contentloop lint`: a docs repository's own `.vale.ini`, applied as `vale` applies it, with
no rubric to write: the configuration is found the way Vale finds it, and every rule it
enables becomes a check of a rubric made for the run (rule checks only, never a judge)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import ContentloopError
from ..rubric import Rubric

# The names Vale looks for in the current folder and each parent, in this order.
# Vale's names for its configuration, .vale.ini first (the one its docs name).
CONFIG_NAMES = (".vale.ini", "_vale.ini", "vale.ini", ".vale", "_vale")


def find_config(start: Path | None = None, given: Path | None = None) -> Path:
    """The .vale.ini to use: `given` (--config), else $VALE_CONFIG_PATH, else the nearest
    .vale.ini or _vale.ini in `start` (the current folder) or a parent of it."""
    found = nearest_config(start, given)
    if found is None:
        here = (start or Path.cwd()).resolve()
        raise ContentloopError(
            f"no .vale.ini in {here} or any folder above it.",
            fix="run from inside a repository with a .vale.ini, or pass --config PATH.",
        )
    return found


def nearest_config(start: Path | None = None, given: Path | None = None) -> Path | None:
    """find_config, or None when there is no configuration to find (a `given` path that does
    not exist is still an error: the user asked for it)."""
    if given is None and os.environ.get("VALE_CONFIG_PATH"):
        given = Path(os.environ["VALE_CONFIG_PATH"])
    if given is not None:
        if not given.is_file():
            raise ContentloopError(
                "no such Vale configuration file.", path=given, fix="pass the path to a .vale.ini."
            )
        return given.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def suffixes(config: Path | None) -> tuple[str, ...]:
    """The file endings a folder is searched for: Markdown's; with a .vale.ini, those
    `[formats]` maps to a format read here (`mdoc = md`, `inc = rst`) and the other formats
    read here (reStructuredText, AsciiDoc, plain text) that one of its sections names."""
    import fnmatch

    from ..checks.markup import FORMATS, VALE_FORMATS
    from ..scoring import MARKDOWN_SUFFIXES
    from .ini import braces, read_ini

    if config is None:
        return MARKDOWN_SUFFIXES
    ini = read_ini(config)
    mapped = [f".{ext.lower()}" for ext, fmt in ini.formats.items() if fmt in VALE_FORMATS]
    globs = [
        g.rsplit("/", 1)[-1] for s in ini.sections if s.styles or s.rules for g in braces(s.glob)
    ]
    named = [ext for ext in FORMATS if any(fnmatch.fnmatch(f"x{ext}", g) for g in globs)]
    return tuple(dict.fromkeys([*MARKDOWN_SUFFIXES, *mapped, *named]))


def add_vale(rubric: Rubric, config: Path) -> None:
    """Apply `config`'s rules on top of `rubric`'s own checks, as `score` does in a repository
    with a .vale.ini: each enabled rule becomes a check at the default points per level."""
    from ..checks.vale_rule import ValeSettings
    from ..rubric import attach_vale
    from .rubric import expand_vale
    from .styles import load_ruleset

    if rubric.binary.vale is not None:
        raise ContentloopError(
            f"rubric {rubric.name} already names a Vale configuration ({rubric.binary.vale.config}).",
            path=rubric.path,
            field="binary.vale",
            fix="leave out --config (the rubric's own applies), or remove its vale section.",
        )
    settings = ValeSettings(config=str(config))
    ruleset = load_ruleset(config)  # read first, so an error names the .vale.ini's line
    rubric.binary.vale = settings
    attach_vale(rubric, expand_vale(rubric.binary.checks, settings, config, ruleset))


def vale_rubric(config: Path) -> Rubric:
    """A rubric whose checks are exactly the rules `config` enables, at Vale's levels."""
    from ..checks.vale_rule import ValeSettings
    from ..rubric import Anchors, BinaryPart, Criterion, JudgePart, attach_vale
    from .rubric import expand_vale
    from .styles import load_ruleset

    settings = ValeSettings(config=str(config))
    rubric = Rubric(
        name="vale",
        description=f"the rules {config} enables",
        binary=BinaryPart(max_points=40, vale=settings),
        # A rubric always has a judge part; lint never calls a judge, so this one is inert.
        judge=JudgePart(
            max_points=60,
            criteria=[
                Criterion(
                    name="unused",
                    description="lint scores rule checks only",
                    anchors=Anchors.model_validate({str(k): "-" for k in (1, 4, 7, 10)}),
                )
            ],
        ),
    )
    rubric._sha256 = hashlib.sha256(config.read_bytes()).hexdigest()
    # Read here, so an error names the .vale.ini's line and key, not a rubric's field.
    attach_vale(rubric, expand_vale([], settings, config, load_ruleset(config)))
    return rubric


__all__ = [
    "CONFIG_NAMES",
    "add_vale",
    "find_config",
    "nearest_config",
    "suffixes",
    "vale_rubric",
]
