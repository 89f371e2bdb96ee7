"""The README's commands stay true: every `contentloop ...` line in a code block names a real
command and only options that command has, and the test command is the one CI runs."""

import re
import shlex
from typing import Any

import pytest
import typer
from conftest import ROOT

from contentloop.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README links here for everything it does not say itself; their commands are held to the
# same rule.
PAGES = {"README.md": README} | {
    f"docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))
}


def readme_commands(text: str = README) -> list[list[str]]:
    """Arguments after `contentloop` on every command line inside a fenced code block."""
    found = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():  # a command over several lines
            for part in line.split("&&"):
                part = part.split(" # ")[0].strip()
                # `contentloop ...`, maybe after VAR=value assignments; not `from contentloop ...`
                if re.match(r"(\S+=\S*\s+)*contentloop\s", part):
                    words = shlex.split(part.replace("<", "").replace(">", ""))
                    found.append(words[words.index("contentloop") + 1 :])
    return found


def resolve(args: list[str]) -> tuple[Any, list[str]]:
    command = typer.main.get_command(app)
    path = []
    for word in args:
        if word in getattr(command, "commands", {}):  # typer's own click: no isinstance
            command = command.commands[word]
            path.append(word)
        else:
            break
    return command, path


def test_the_readme_shows_enough_commands_to_be_checked():
    names = {tuple(resolve(args)[1]) for args in readme_commands()}
    assert {("write",), ("score",), ("optimize-skill",), ("report",), ("runs",)} <= names


@pytest.mark.parametrize("page", list(PAGES))
def test_every_documented_command_and_option_exists(page):
    wrong = []
    for args in readme_commands(PAGES[page]):
        command, path = resolve(args)
        assert path, f"`contentloop {' '.join(args)}` names no command"
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        wrong += [
            f"contentloop {' '.join(path)} {word}"
            for word in args
            if word.startswith("-") and word.split("=")[0] not in options
        ]
    assert not wrong, f"{page} uses options the CLI does not have: " + "; ".join(wrong)


def test_the_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_test = re.search(r"pip install -e '\.\[test\]' && (python -m pytest\S*)", README)
    assert readme_test, "the README's two-command test line is missing"
    assert ci.strip().splitlines()[-1] == readme_test.group(1)


# Options whose value is a file or folder the command writes, not one it reads.
_WRITES = {"--html", "--out", "--drafts", "--runs", "--tag", "-o"}


def test_every_file_a_readme_command_reads_exists():
    """Issue 21: the tour named post.md, docs/guide.md and rubrics/mine.yaml, which a fresh
    clone does not have. A placeholder is written <like-this>."""
    missing = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = re.sub(r"\s>\s*\S+", "", part.split(" # ")[0])  # no `> out.sarif`
                if not re.match(r"\s*(\S+=\S*\s+)*contentloop\s", part):
                    continue
                words = shlex.split(part)
                for before, word in zip(words, words[1:], strict=False):
                    if before in _WRITES or "<" in word or word.startswith("-"):
                        continue
                    if "/" in word or word.endswith((".md", ".yaml", ".yml", ".toml", ".json")):
                        if not (ROOT / word).exists() and not word.startswith("http"):
                            missing.append(f"{word} (in: {part.strip()})")
    assert not missing, "README commands name files a fresh clone lacks: " + "; ".join(missing)
