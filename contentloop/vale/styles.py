"""A `.vale.ini` resolved into compiled rules, and those rules run on drafts.

`RuleSet.for_path(path)` is what Vale would run on that file: the styles and rules its
sections enable, at their levels, above MinAlertLevel. Rules of kinds contentloop does not
run, and rules a configuration names that do not exist, are listed in `skipped` (Vale's own
fixtures name a few rules their styles no longer have).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..checks.markup import VALE_FORMATS
from ..checks.prose import Draft
from ..errors import ContentloopError
from .builtin import builtin_rules, read_vocab
from .ini import LEVELS, ValeIni, read_ini
from .kinds import load_rule
from .rules import Alert, Rule, Unsupported
from .view import ALWAYS_SKIPPED, BLOCK_SCOPES, INLINE_SCOPES, Ignores, use_ignores


@dataclass
class RuleSet:
    ini: ValeIni
    rules: dict[str, Rule] = field(default_factory=dict)  # every rule of every named style
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why
    notes: dict[str, str] = field(default_factory=dict)  # a .vale.ini setting not honoured -> why
    files: list[Path] = field(default_factory=list)  # vocabularies: part of the fingerprint
    _by_path: dict[str, list[tuple[Rule, str]]] = field(default_factory=dict, repr=False)
    _levels: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def for_path(self, path: str) -> list[tuple[Rule, str]]:
        """(rule, level) for each rule that runs on `path`, in name order."""
        if path not in self._by_path:
            self._by_path[path] = self._for_path(path)
        return self._by_path[path]

    def level_of(self, rule: str, path: str) -> str | None:
        """The level `rule` runs at on `path`, or None when it does not run there."""
        if path not in self._levels:
            self._levels[path] = {r.name: lv for r, lv in self.for_path(path)}
        return self._levels[path].get(rule)

    def _for_path(self, path: str) -> list[tuple[Rule, str]]:
        floor = LEVELS.index(self.ini.min_level)
        return [
            (self.rules[n], level)
            for n, level in sorted(self.levels(self.ini.enabled(path)).items())
            if LEVELS.index(level) >= floor
        ]

    def reads_sentences(self, rule: str) -> bool:
        """Whether `rule` (a known one) reads the text sentence by sentence."""
        found = self.rules.get(rule)
        return found is not None and "sentence" in found.spec.scope

    def alerts(self, rule: str, draft: Draft) -> list[Alert]:
        """`rule`'s alerts on `draft`, in document order."""
        self._read_as_configured(draft)
        return self.rules[rule].run(draft)

    def ignores(self, path: str) -> Ignores:
        """What the configuration leaves unread in `path`."""
        blocks, tokens = self.ini.ignores(path)
        return Ignores(
            blocks,
            tokens,
            frozenset(INLINE_SCOPES[s] for s in self.ini.ignored_scopes if s in INLINE_SCOPES),
            frozenset(s for s in self.ini.skipped_scopes if s in BLOCK_SCOPES),
        )

    def _read_as_configured(self, draft: Draft) -> None:
        use_ignores(draft, self.ignores(draft.path or "draft.md"))

    def levels(self, entries: dict[str, str | None]) -> dict[str, str]:
        """Rule -> level for .vale.ini lines (ValeIni.enabled, Section.entries): a style stands
        for its rules, "NO" removes, None keeps the rule's own level. MinAlertLevel aside."""
        chosen: dict[str, str] = {}
        for name, override in entries.items():
            names = (
                [n for n in self.rules if n.startswith(name + ".")] if "." not in name else [name]
            )
            for n in names:
                if override == "NO":
                    chosen.pop(n, None)
                elif n in self.rules:
                    chosen[n] = override or self.rules[n].level
        return chosen

    def lint(self, draft: Draft, path: str | None = None) -> list[Alert]:
        """Every alert for one draft, sorted by line and column, at the configured levels."""
        alerts = []
        self._read_as_configured(draft)
        for rule, level in self.for_path(path or draft.path or "draft.md"):
            alerts += [a if a.level == level else replace(a, level=level) for a in rule.run(draft)]
        return sorted(alerts, key=lambda a: (a.line, a.column, a.rule))

    def fingerprint(self) -> str:
        """sha256 over the .vale.ini and every rule file: what cached results depend on."""
        digest = hashlib.sha256(self.ini.path.read_bytes())
        for name in sorted(self.rules):
            digest.update(name.encode() + b"\0" + self.rules[name].path.read_bytes())
        for path in self.files:
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


def load_ruleset(ini_path: Path) -> RuleSet:
    """Read a .vale.ini and compile the rules of every style and rule it names."""
    ini = read_ini(ini_path)
    if ini.styles_given and not ini.styles_path.is_dir():
        raise ContentloopError(
            f"StylesPath {ini.styles_path} is not a folder.",
            path=ini_path,
            fix="set StylesPath to the folder that holds your style folders (e.g. styles).",
        )
    ruleset = RuleSet(ini, notes=dict(ini.notes))
    accepted, rejected = read_vocab(ini, ruleset.files, ruleset.notes)
    _check_scopes(ini, ruleset.notes)
    for ext, fmt in ini.formats.items():
        if fmt not in VALE_FORMATS:
            ruleset.notes[f"[formats] {ext} = {fmt}"] = (
                "contentloop reads Markdown, reStructuredText, AsciiDoc and plain text "
                f"({', '.join(VALE_FORMATS)}); a .{ext} file is read by its own ending"
            )
    for package in ini.packages:
        if not (ini.styles_path / package).is_dir():
            ruleset.notes[f"Packages: {package}"] = (
                f"not in {ini.styles_path}; contentloop downloads nothing (run `vale sync` once)"
            )
    wanted = {name for s in ini.sections for name in [*s.styles, *s.rules]}
    styles = sorted({name.split(".", 1)[0] for name in wanted})
    if not ini.styles_given and set(styles) - {"Vale"}:
        raise ContentloopError(
            "it has no StylesPath (only Vale's own style runs without one).",
            path=ini_path,
            fix="add `StylesPath = styles` (the folder that holds your style folders) at the top.",
        )
    for style in styles:
        folder = ini.styles_path / style
        if style == "Vale" and not (ini.styles_given and folder.is_dir()):
            ruleset.rules.update((r.name, r) for r in builtin_rules(ini, accepted, rejected))
            continue
        if not folder.is_dir():
            ruleset.skipped[style] = f"no style folder {folder}"
            continue
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
            try:
                rule = load_rule(path, style, accepted)
            except Unsupported as why:
                ruleset.skipped[f"{style}.{path.stem}"] = str(why)
                continue
            except ContentloopError as exc:
                # One broken rule turns off only itself, as Vale goes on without it; the
                # note carries the file, the field and the fix.
                ruleset.skipped[f"{style}.{path.stem}"] = f"does not load: {exc}"
                continue
            ruleset.rules[rule.name] = rule
    for name in sorted(wanted):
        if "." in name and name not in ruleset.rules and name not in ruleset.skipped:
            ruleset.skipped[name] = "no such rule in its style folder"
    return ruleset


def _check_scopes(ini: ValeIni, notes: dict[str, str]) -> None:
    for scope in ini.ignored_scopes:
        if scope not in INLINE_SCOPES and scope not in ("code", "tt"):
            notes[f"IgnoredScopes: {scope}"] = "not an inline element contentloop can leave out"
    for scope in ini.skipped_scopes:
        if scope not in BLOCK_SCOPES and scope not in ALWAYS_SKIPPED:
            notes[f"SkippedScopes: {scope}"] = "not a block element contentloop can leave out"
