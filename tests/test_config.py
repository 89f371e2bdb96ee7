"""Choosing backends and models: flags, then environment, then contentloop.toml, then defaults."""

import pytest

from contentloop import ContentloopError
from contentloop.llm import RoleConfig, resolve


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_default_is_the_embedded_model():
    choice = resolve("judge", RoleConfig())
    assert (choice.backend, choice.model) == ("local", "smollm2-135m")


def test_anthropic_key_selects_anthropic_with_a_different_judge_model(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    writer, judge = resolve("writer", RoleConfig()), resolve("judge", RoleConfig())
    assert writer.backend == judge.backend == "anthropic"
    assert writer.model != judge.model


def test_base_url_selects_openai_and_needs_a_model():
    with pytest.raises(ContentloopError, match="--judge-model"):
        resolve("judge", RoleConfig(base_url="http://127.0.0.1:1/v1"))
    choice = resolve("judge", RoleConfig(base_url="http://127.0.0.1:1/v1", model="qwen"))
    assert (choice.backend, choice.model) == ("openai", "qwen")


def test_precedence_flags_then_env_then_file(tmp_path, monkeypatch):
    (tmp_path / "contentloop.toml").write_text(
        '[judge]\nbackend = "openai"\nbase_url = "http://file/v1"\nmodel = "from-file"\n'
    )
    assert resolve("judge", RoleConfig()).model == "from-file"
    monkeypatch.setenv("CONTENTLOOP_JUDGE_MODEL", "from-env")
    assert resolve("judge", RoleConfig()).model == "from-env"
    assert resolve("judge", RoleConfig(model="from-flag")).model == "from-flag"
    assert resolve("judge", RoleConfig()).base_url == "http://file/v1"


def test_judge_follows_the_writers_server(tmp_path):
    (tmp_path / "contentloop.toml").write_text(
        '[writer]\nbackend = "openai"\nbase_url = "http://ollama/v1"\nmodel = "llama3.1:8b"\n'
    )
    judge = resolve("judge", RoleConfig())
    assert (judge.backend, judge.base_url, judge.model) == (
        "openai",
        "http://ollama/v1",
        "llama3.1:8b",
    )


def test_bad_config_file_and_env_are_named(tmp_path, monkeypatch):
    (tmp_path / "contentloop.toml").write_text("[judge]\nbakend = 'openai'\n")
    with pytest.raises(ContentloopError, match=r"contentloop.toml, field judge.bakend"):
        resolve("judge", RoleConfig())
    (tmp_path / "contentloop.toml").unlink()
    monkeypatch.setenv("CONTENTLOOP_JUDGE_BACKEND", "gemini")
    with pytest.raises(ContentloopError, match="CONTENTLOOP_JUDGE_BACKEND must be"):
        resolve("judge", RoleConfig())


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        (
            "[judge]\nbakend = 'openai'\n",
            "remove it or correct its spelling; [judge] takes backend",
        ),
        ("[writer]\nbackend = 'gemini'\n", "set backend to anthropic, openai or local"),
        ("[writer]\ntimeout = 'soon'\n", "give a value of the right type"),
        ("[writer\n", 'write key = "value" lines'),
    ],
)
def test_a_wrong_key_or_value_in_contentloop_toml_comes_with_a_fix(tmp_path, text, fix):
    (tmp_path / "contentloop.toml").write_text(text)
    with pytest.raises(ContentloopError) as err:
        resolve("writer", RoleConfig())
    assert "Fix: " + fix in str(err.value)


def test_the_example_config_is_valid_and_says_what_it_claims(tmp_path):
    from conftest import ROOT

    from contentloop.llm.config import project_prices

    (tmp_path / "contentloop.toml").write_text((ROOT / "contentloop.example.toml").read_text())
    writer = resolve("writer", RoleConfig())
    judge = resolve("judge", RoleConfig(), writer_flags=RoleConfig())
    assert (writer.backend, writer.model) == ("anthropic", "claude-sonnet-4-6")
    assert (judge.backend, judge.base_url) == ("openai", "http://localhost:11434/v1")
    assert project_prices(tmp_path / "contentloop.toml")["openai"]["qwen2.5:7b"]["input"] == 0.0


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    from typer.testing import CliRunner

    from contentloop.cli import app

    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"contentloop {version('contentloop')}"
