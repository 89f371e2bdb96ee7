"""A rubric's `binary.vale` section turned into one `vale` check per rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks.base import CheckConfig
from ..checks.vale_rule import ValeCheck, ValeSettings
from ..errors import ContentloopError
from .styles import RuleSet, load_ruleset


@dataclass
class ValeExpansion:
    """What a rubric's `binary.vale` section adds: a check per enabled rule the rubric does not
    list, the rules that cannot run here (and why), and the fingerprint of the Vale files."""

    added: list[ValeCheck]
    skipped: dict[str, str]
    fingerprint: str
    notes: dict[str, str]  # .vale.ini settings not honoured -> why
    formats: dict[str, str]  # [formats]: a file ending -> Vale's name of the format it is read as


def check_id(rule: str) -> str:
    """`write-good.E-Prime` -> `vale_write_good_e_prime` (rubric ids are snake_case)."""
    return "vale_" + re.sub(r"[^a-z0-9]+", "_", rule.lower()).strip("_")


def expand_vale(
    checks: Sequence[CheckConfig],
    settings: ValeSettings | None,
    rubric_path: Path,
    ruleset: RuleSet | None = None,
) -> ValeExpansion:
    """Read the .vale.ini (unless `ruleset` is it, read already), make a check for every rule
    it enables that `checks` does not already list, and give every `vale` check (listed or
    made) the compiled rules."""
    if settings is None:
        raise ContentloopError(
            "a check of type vale needs the rules it names.",
            path=rubric_path,
            field="binary.vale",
            fix="add `vale: {config: .vale.ini}` under binary, pointing at your Vale config.",
        )
    ini_path = (rubric_path.parent / settings.config).resolve()
    try:
        ruleset = ruleset or load_ruleset(ini_path)
    except ContentloopError as exc:
        where = f"{exc.path}, line {exc.line}" if exc.line else exc.path
        raise ContentloopError(
            f"reading {where}: {exc.message}" if where else exc.message,
            path=rubric_path,
            field="binary.vale.config",
            fix=exc.fix,
        ) from None
    listed = {c.rule: c for c in checks if isinstance(c, ValeCheck)}
    for i, check in enumerate(checks):
        if isinstance(check, ValeCheck) and check.rule not in ruleset.rules:
            raise ContentloopError(
                f"no Vale rule {check.rule!r} in {ruleset.ini.styles_path}.",
                path=rubric_path,
                field=f"binary.checks[{i}].rule",
                fix="name a rule as Style.Rule, with a <StylesPath>/<Style>/<Rule>.yml file.",
            )
    # Every rule some section turns on, whatever files it ends up matching.
    enabled = sorted({n for s in ruleset.ini.sections for n in ruleset.levels(s.entries())})
    taken = {c.id for c in checks}
    added: list[ValeCheck] = []
    for name in enabled:
        if name in listed:
            continue
        cid = check_id(name)
        while cid in taken:
            cid += "_"
        taken.add(cid)
        rule = ruleset.rules[name]
        added.append(
            ValeCheck(
                id=cid,
                type="vale",
                rule=name,
                description=f"Vale rule {name}: {rule.spec.message}",
                deductions=dict(settings.deductions),
                per=settings.per,
                cap=settings.cap,
                fix=(f"See {rule.spec.link}" if rule.spec.link else None),
            )
        )
    for check in [*checks, *added]:
        if isinstance(check, ValeCheck):
            check._ruleset = ruleset
    return ValeExpansion(
        added,
        dict(ruleset.skipped),
        ruleset.fingerprint(),
        dict(ruleset.notes),
        dict(ruleset.ini.formats),
    )
