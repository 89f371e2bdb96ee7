"""Vale's built-in style `Vale` and the vocabularies (`Vocab = Name`) that feed it.

A vocabulary is `<StylesPath>/config/vocabularies/<Name>/accept.txt` and `reject.txt` (Vale 3;
Vale 2's `<StylesPath>/Vocab/<Name>/` is read too): one regex per line. Accepted terms become
exceptions of every existence, substitution, capitalization and conditional rule (a rule
with `vocab: false` opts out), and `Vale.Terms` flags them written in another case; rejected
terms are flagged by `Vale.Avoid`. The rules and messages are Vale's own definitions.
"""

from __future__ import annotations

from pathlib import Path

from .ini import ValeIni
from .rules import Rule, RuleSpec


def read_vocab(
    ini: ValeIni, files: list[Path], notes: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(accepted, rejected) terms of every vocabulary the configuration names; the files read
    are appended to `files`, a vocabulary with no folder goes to `notes`."""
    accepted: list[str] = []
    rejected: list[str] = []
    for name in ini.vocab:
        folders = [
            ini.styles_path / "config" / "vocabularies" / name,
            ini.styles_path / "Vocab" / name,
        ]
        folder = next((f for f in folders if f.is_dir()), None)
        if folder is None:
            notes[f"Vocab: {name}"] = f"no folder {folders[0]}"
            continue
        for kind, terms in (("accept", accepted), ("reject", rejected)):
            path = folder / f"{kind}.txt"
            if path.is_file():
                files.append(path)
                terms += [t for t in _terms(path) if t not in terms]
    return accepted, rejected


def _terms(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def builtin_rules(ini: ValeIni, accepted: list[str], rejected: list[str]) -> list[Rule]:
    """The rules of `BasedOnStyles = Vale`, with Vale's own definitions."""
    from .kinds import KINDS

    specs = {
        "Vale.Repetition": {
            "extends": "repetition",
            "message": "'%s' is repeated!",
            "level": "error",
            "alpha": True,
            "tokens": [r"[^\s]+"],
        },
        "Vale.Spelling": {
            "extends": "spelling",
            "message": "Did you really mean '%s'?",
            "level": "error",
            "exceptions": accepted,
        },
    }
    if accepted:
        specs["Vale.Terms"] = {
            "extends": "substitution",
            "message": "Use '%s' instead of '%s'.",
            "level": "error",
            "ignorecase": True,
            "swap": {term.lower(): term for term in accepted},
            "exceptions": accepted,
        }
    if rejected:
        specs["Vale.Avoid"] = {
            "extends": "existence",
            "message": "Avoid using '%s'.",
            "level": "error",
            "tokens": rejected,
        }
    rules = []
    for name, data in specs.items():
        spec = RuleSpec.model_validate(data)
        rules.append(KINDS[spec.extends](name, spec, ini.path))
    return rules
