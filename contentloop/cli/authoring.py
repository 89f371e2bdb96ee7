"""Commands for people editing YAML: `skill show` and `rubric check`."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    VALE_CONFIG_HELP,
    emit_json,
    out,
    rubric_app,
    skill_app,
    user_errors,
)


@skill_app.command("show")
def skill_show(
    name: str = typer.Argument("imagine", help="Skill folder, or a name in skills/."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the sections, prompt and token count as JSON."
    ),
) -> None:
    """Print a skill's assembled system prompt and its token count.

    Example: contentloop skill show imagine
    """
    from ..skill import count_tokens, load_skill

    with user_errors():
        loaded = load_skill(name)
    tokens = count_tokens(loaded.prompt)
    if as_json:
        data = {
            "name": loaded.name,
            "folder": str(loaded.folder),
            "sections": loaded.spec.sections,
            "rubric": loaded.spec.rubric,
            "prompt": loaded.prompt,
            "tokens": tokens,
            "sha256": loaded.sha256,
        }
        emit_json(data)
        return
    from rich.text import Text

    out.print(loaded.prompt, markup=False, highlight=False)
    out.print(
        Text(
            f"skill {loaded.name}: {len(loaded.spec.sections)} sections ({', '.join(loaded.spec.sections)}), "
            f"{tokens} tokens (SmolLM2 tokenizer), {len(loaded.prompt)} characters, rubric {loaded.spec.rubric}",
            style="dim",
        )
    )


@rubric_app.command("check")
def rubric_check(
    file: str = typer.Argument(..., help="Rubric YAML file, or a name in rubrics/."),
    sample: Path | None = typer.Option(
        None, "--sample", "-s", help="Also run the rules on this draft and show what each catches."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the validated rubric as JSON."),
    config: Path | None = typer.Option(None, "--config", help=VALE_CONFIG_HELP),
    no_vale: bool = typer.Option(
        False, "--no-vale", help="Leave out the rules of a .vale.ini found here or above."
    ),
) -> None:
    """Validate a rubric and show what it will check; with --sample, what it catches.

    In a repository with a .vale.ini (here or in a folder above), the Vale rules `score`
    would add are listed with the rubric's own checks, as are the rules it names that do not
    run, and why.

    Examples:

    \b
      contentloop rubric check rubrics/techdocs.yaml
      contentloop rubric check rubrics/techdocs.yaml --sample drafts/example-private-5g.md
    """
    from rich.text import Text

    from ..report.terminal import render_card, render_rubric
    from ..scoring import read_draft, score_drafts
    from .score import rubric_with_vale

    with user_errors():
        loaded, _ = rubric_with_vale(file, config, no_vale, vale_only=False)
        card = score_drafts([read_draft(sample)], loaded)[0] if sample else None
    if as_json:
        data = loaded.model_dump(mode="json", by_alias=True)
        data["sha256"] = loaded.sha256
        if card is not None:
            data["sample"] = card.to_json()
        emit_json(data)
        return
    render_rubric(out.console, loaded)
    out.print(Text("ok", style="green") + ": the rubric is valid.")
    if card is not None:
        out.print()
        render_card(out.console, card)
