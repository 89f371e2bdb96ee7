"""A skill: the editable style guide, as named Markdown sections assembled by a jinja2 template.

    skills/imagine/
      skill.yaml        name, description, rubric, the ordered section list, the template file
      voice.md ...      one short Markdown file per section (each change is a small git diff)
      prompt.jinja      assembles the sections into the writer's system prompt

The optimizer (later) may edit section files and nothing else.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from .errors import ContentloopError
from .yamlio import load_model, read_text


class SkillSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    description: str = ""
    rubric: str = Field(
        default="imagine", description="Rubric this skill writes for (name or path)."
    )
    template: str = "prompt.jinja"
    sections: list[str] = Field(min_length=1, description="Section names; each is <name>.md.")

    @field_validator("sections")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        for n in names:
            if not n or "/" in n or "\\" in n or n.startswith("."):
                raise ValueError(f"section name {n!r} must be a plain file stem like 'voice'")
        if len(set(names)) != len(names):
            raise ValueError("section names must be unique")
        return names


class Skill(BaseModel):
    """A loaded skill: its spec, its section texts, and the folder they came from."""

    spec: SkillSpec
    folder: Path
    sections: dict[str, str]
    template_text: str
    _prompt: str | None = PrivateAttr(default=None)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def prompt(self) -> str:
        """The writer's system prompt, assembled by the skill's template."""
        if self._prompt is None:
            where = self.folder / self.spec.template
            try:
                template = _sandbox().from_string(self.template_text)
                ordered = [(n, self.sections[n].strip()) for n in self.spec.sections]
                parts, size = [], 0
                for part in template.generate(
                    skill=self.spec, sections=dict(ordered), ordered_sections=ordered
                ):
                    size += len(part)
                    if size > MAX_PROMPT_CHARS:
                        raise ContentloopError(
                            f"renders a prompt of more than {MAX_PROMPT_CHARS:,} characters.",
                            path=where,
                            fix="render each section once; a loop in the template repeats text.",
                        )
                    parts.append(part)
                self._prompt = "".join(parts).strip() + "\n"
            except SecurityError as exc:
                raise ContentloopError(
                    f"the template tried something a skill template may not do ({exc}).",
                    path=where,
                    fix="a template only places sections: use {{ sections.NAME }} or loop over "
                    "ordered_sections; attributes starting with '_' and calls that change data "
                    "are blocked, since skills are shared.",
                ) from None
            except jinja2.TemplateError as exc:
                raise ContentloopError(
                    f"the template cannot be rendered: {exc}.",
                    path=where,
                    line=getattr(exc, "lineno", None),
                    fix="use {{ sections.NAME }} for a section, or loop over ordered_sections.",
                ) from exc
        return self._prompt

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.prompt.encode()).hexdigest()

    @property
    def chars(self) -> int:
        return sum(len(t) for t in self.sections.values())


# A skill is meant to be shared, so its template is untrusted code: the sandbox refuses
# attribute paths into Python internals (`''.__class__.__mro__`, `cycler.__init__.__globals__`)
# and calls that mutate data, and caps range() at 100,000 items. The prompt is also capped, so
# a template cannot fill memory by repeating text.
MAX_PROMPT_CHARS = 500_000


@functools.cache
def _sandbox() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


def _search_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [Path.cwd() / "skills", here.parent / "skills"]


def resolve_skill(ref: str | Path) -> Path:
    path = Path(ref)
    if path.is_dir() or "/" in str(ref):
        return path
    for folder in _search_dirs():
        if (folder / str(ref) / "skill.yaml").exists():
            return folder / str(ref)
    known = sorted(
        {p.parent.name for d in _search_dirs() if d.is_dir() for p in d.glob("*/skill.yaml")}
    )
    raise ContentloopError(
        f"no skill named {str(ref)!r}.",
        fix=f"pass a skill folder, or one of: {', '.join(known) or '(none found)'}.",
    )


def load_skill(ref: str | Path = "imagine") -> Skill:
    """Load a skill folder; a missing section or template file names the file and the fix."""
    folder = resolve_skill(ref)
    if not folder.is_dir():
        raise ContentloopError("no such skill folder.", path=folder, fix="check the path.")
    spec = load_model(folder / "skill.yaml", SkillSpec, "skill file")
    sections = {}
    for name in spec.sections:
        path = folder / f"{name}.md"
        if not path.exists():
            raise ContentloopError(
                f"section {name!r} is listed in skill.yaml but its file is missing.",
                path=path,
                fix=f"create {path.name}, or remove {name!r} from sections in skill.yaml.",
            )
        sections[name] = read_text(path, "section file")
    template = read_text(folder / spec.template, "template")
    skill = Skill(spec=spec, folder=folder, sections=sections, template_text=template)
    skill.prompt  # noqa: B018 - render now so template errors surface at load time
    return skill


@functools.cache
def _vocab() -> Any:
    """The embedded model's vocabulary only (no weights in use, no context).

    llama-cpp's high-level `Llama(vocab_only=True)` still creates a context and logs a
    warning to stderr on every `skill show`; its model wrapper loads the vocabulary alone.
    """
    import llama_cpp
    from llama_cpp._internals import LlamaModel

    from .llm.local import model_path

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = LlamaModel(path_model=str(model_path()), params=params, verbose=False)
    atexit.register(model.close)
    return model


def count_tokens(text: str) -> int:
    """Tokens by the embedded model's tokenizer (SmolLM2); other models' counts differ a little."""
    return len(_vocab().tokenize(text.encode(), add_bos=False, special=False))
