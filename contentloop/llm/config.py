"""Which backend and model a role (writer or judge) uses: flags, then environment, then the
project file `contentloop.toml`, then defaults.

    # contentloop.toml (in the folder you run contentloop from)
    [writer]
    backend = "anthropic"
    model = "claude-sonnet-4-6"

    [judge]
    backend = "openai"
    base_url = "http://localhost:11434/v1"
    model = "qwen2.5:7b"

    # USD per million tokens for a model the packaged price table lacks (or to override it)
    [prices.openai."qwen2.5:7b"]
    input = 0.0
    output = 0.0

Environment: CONTENTLOOP_BACKEND, CONTENTLOOP_MODEL, CONTENTLOOP_BASE_URL for the writer;
CONTENTLOOP_JUDGE_BACKEND, CONTENTLOOP_JUDGE_MODEL, CONTENTLOOP_JUDGE_BASE_URL for the judge.
A judge with nothing set follows the writer's backend but keeps its own default model, so
by default writer and judge are different models.
"""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ContentloopError
from . import local
from .types import Backend

BackendName = Literal["anthropic", "openai", "local"]
Role = Literal["writer", "judge", "optimizer"]
_PREFIX = {
    "writer": "CONTENTLOOP_",
    "judge": "CONTENTLOOP_JUDGE_",
    "optimizer": "CONTENTLOOP_OPTIMIZER_",
}
_MODEL_FLAG = {"writer": "--model", "judge": "--judge-model", "optimizer": "--optimizer-model"}
CONFIG_FILE = "contentloop.toml"
DEFAULT_MODELS: dict[str, dict[str, str]] = {
    "anthropic": {
        "writer": "claude-sonnet-4-6",
        "judge": "claude-haiku-4-5",
        "optimizer": "claude-sonnet-4-6",
    },
    "local": {"writer": local.MODEL_NAME, "judge": local.MODEL_NAME, "optimizer": local.MODEL_NAME},
}


class RoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: BackendName | None = None
    model: str | None = None
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None


class Price(BaseModel):
    """USD per million tokens; cache rates default to the input rate."""

    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float | None = Field(default=None, ge=0)
    cache_read: float | None = Field(default=None, ge=0)


class ModelChoice(BaseModel):
    role: Role
    backend: BackendName
    model: str
    base_url: str | None = None
    timeout: float = 120.0
    max_retries: int = 4
    # The backend was named for this role (flag, environment or contentloop.toml), not
    # inherited from the writer or picked by default.
    explicit: bool = False


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContentloopError(
            f"is not valid TOML: {exc}.",
            path=path,
            fix='write key = "value" lines under [writer] or [judge]; see contentloop.example.toml.',
        ) from exc
    for section in data:
        if section not in ("writer", "judge", "optimizer", "prices"):
            raise ContentloopError(
                f"unknown section [{section}].",
                path=path,
                fix='use [writer], [judge], [optimizer] and [prices.<backend>."<model>"].',
            )
    return data


def project_prices(path: Path | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """[prices.<backend>."<model>"] from contentloop.toml: backend -> model -> rates."""
    path = path or Path.cwd() / CONFIG_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _project_prices(path, stamp)


@functools.lru_cache(maxsize=8)
def _project_prices(path: Path, stamp: int) -> dict[str, dict[str, dict[str, float]]]:
    """Parsed once per file version: the ledger asks on every call."""
    table = _read_toml(path).get("prices", {})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for backend, models in table.items():
        if not isinstance(models, dict):
            raise ContentloopError(
                "must map model ids to rates.",
                path=path,
                field=f"prices.{backend}",
                fix=f'write [prices.{backend}."MODEL"] with input = and output = (USD per million tokens).',
            )
        for model, rates in models.items():
            try:
                price = Price.model_validate(rates)
            except ValidationError as exc:
                e = exc.errors()[0]
                field = ".".join(str(p) for p in ("prices", backend, model, *e["loc"]))
                raise ContentloopError(
                    f"{e['msg']}.",
                    path=path,
                    field=field,
                    fix="give input and output in USD per million tokens (cache_write, cache_read optional).",
                ) from exc
            out.setdefault(backend, {})[model] = price.model_dump(exclude_none=True)
    return out


def _file_config(path: Path) -> dict[Role, RoleConfig]:
    data = _read_toml(path)
    out: dict[Role, RoleConfig] = {}
    for section, values in data.items():
        if section == "prices":
            continue
        try:
            out[section] = RoleConfig.model_validate(values)  # type: ignore[index]
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in (section, *e["loc"]))
            known = ", ".join(RoleConfig.model_fields)
            if e["type"] == "extra_forbidden":
                fix = f"remove it or correct its spelling; [{section}] takes {known}."
            elif e["loc"] and e["loc"][0] == "backend":
                fix = "set backend to anthropic, openai or local."
            else:
                fix = f"give a value of the right type; [{section}] takes {known} (see contentloop.example.toml)."
            raise ContentloopError(f"{e['msg']}.", path=path, field=field, fix=fix) from exc
    return out


def _env(role: Role) -> RoleConfig:
    prefix = _PREFIX[role]
    values = {k: os.environ.get(prefix + k.upper()) for k in ("backend", "model", "base_url")}
    try:
        return RoleConfig.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        raise ContentloopError(
            f"{prefix}BACKEND must be anthropic, openai or local (got {values['backend']!r})."
        ) from exc


def _merge(*layers: RoleConfig) -> RoleConfig:
    merged: dict[str, object] = {}
    for layer in reversed(layers):  # earlier layers win
        merged |= layer.model_dump(exclude_none=True)
    return RoleConfig.model_validate(merged)


def resolve(role: Role, flags: RoleConfig, writer_flags: RoleConfig | None = None) -> ModelChoice:
    """The backend and model for `role`. `writer_flags` lets the judge follow the writer."""
    file = _file_config(Path.cwd() / CONFIG_FILE)
    own = _merge(flags, _env(role), file.get(role, RoleConfig()))
    explicit = own.backend is not None
    if role == "judge" and own.backend is None:
        writer = _merge(
            writer_flags or RoleConfig(), _env("writer"), file.get("writer", RoleConfig())
        )
        own = _merge(own, RoleConfig(backend=writer.backend, base_url=writer.base_url))
        if own.backend == "openai" and own.model is None:
            own = _merge(own, RoleConfig(model=writer.model))  # one local server, one model
    if role == "optimizer" and own.backend is None:
        # Unset, the optimizer is the writer: same server and, unless named, the same model.
        w = resolve("writer", writer_flags or RoleConfig())
        own = _merge(
            own,
            RoleConfig(
                backend=w.backend,
                base_url=w.base_url,
                model=w.model,
                timeout=w.timeout,
                max_retries=w.max_retries,
            ),
        )
    backend = own.backend
    if backend is None:
        if own.base_url:
            backend = "openai"
        elif os.environ.get("ANTHROPIC_API_KEY"):
            backend = "anthropic"
        else:
            backend = "local"
    model = own.model or DEFAULT_MODELS.get(backend, {}).get(role)
    if model is None:
        flag = _MODEL_FLAG[role]
        raise ContentloopError(
            f"the {backend} backend needs a model name for the {role}.",
            fix=f"pass {flag} (for Ollama, a name from `ollama list`, e.g. llama3.1:8b).",
        )
    if backend == "openai" and not own.base_url and not os.environ.get("OPENAI_BASE_URL"):
        if not os.environ.get("OPENAI_API_KEY"):
            raise ContentloopError(
                "the openai backend needs a server.",
                fix="pass --base-url (e.g. http://localhost:11434/v1 for Ollama) or set OPENAI_API_KEY.",
            )
    return ModelChoice(
        role=role,
        backend=backend,
        model=model,
        base_url=own.base_url,
        timeout=own.timeout or 120.0,
        max_retries=own.max_retries if own.max_retries is not None else 4,
        explicit=explicit,
    )


def role_configured(role: Role) -> bool:
    """Does the environment or contentloop.toml set anything for `role`?"""
    filed = _file_config(Path.cwd() / CONFIG_FILE).get(role, RoleConfig())
    return bool(_merge(_env(role), filed).model_dump(exclude_none=True))


def make_backend(choice: ModelChoice) -> Backend:
    if choice.backend == "local":
        return local.LocalBackend(choice.model)
    if choice.backend == "anthropic":
        from .anthropic_api import AnthropicBackend as cls
    else:
        from .openai_api import OpenAIBackend as cls
    return cls(
        choice.model,
        base_url=choice.base_url,
        timeout=choice.timeout,
        max_retries=choice.max_retries,
    )
