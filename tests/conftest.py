from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
from pathlib import Path

import pytest
from helpers import (
    BAD,
    GOOD,
    ROOT,
    WORSE,
    Script,
    World,
    edit,
    git,
    make_run,
    run_write,
    the_run,
)

from contentloop.optimize import Budget
from contentloop.testing import OpenAIServer
from contentloop.topic import load_topics

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    """Tests never reach the network: only loopback addresses may be connected to."""
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests may not reach the network (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> object:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


PROVIDER_ENV = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    *(f"CONTENTLOOP_{r}{k}" for r in ("", "JUDGE_") for k in ("BACKEND", "MODEL", "BASE_URL")),
]


@pytest.fixture(autouse=True, scope="session")
def _contentloop_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All state in a temp folder, and no real provider reachable through the environment."""
    home = tmp_path_factory.mktemp("contentloop-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("CONTENTLOOP_HOME", str(home))
    for name in PROVIDER_ENV:
        mp.delenv(name, raising=False)
    yield home
    mp.undo()


@pytest.fixture(scope="session")
def imagine():
    from contentloop import load_rubric

    return load_rubric(ROOT / "rubrics" / "imagine.yaml")


@pytest.fixture(scope="session")
def techdocs():
    from contentloop import load_rubric

    return load_rubric(ROOT / "rubrics" / "techdocs.yaml")


# --- runs several modules build on --------------------------------------------------------


@pytest.fixture
def repo(tmp_path):
    """A git repo with the imagine skill and two short topics, committed."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "skills" / "imagine", root / "skills" / "imagine")
    (root / "topics").mkdir()
    for slug in ("alpha", "beta"):
        (root / "topics" / f"{slug}.yaml").write_text(
            f"title: Topic {slug}\naudience: plant managers\nangle: it matters\ntarget_words: 300\n"
        )
    git("init", "-q", "-b", "main", cwd=root)
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "-A", cwd=root)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init", cwd=root)
    return root


@pytest.fixture
def draft_run(imagine, tmp_path) -> Path:
    with OpenAIServer(Script(imagine, [BAD, WORSE, GOOD])) as server:
        r = run_write(server, tmp_path / "drafts", "--cycles", "2")
    assert r.exit_code == 0, r.output
    return the_run(tmp_path / "drafts")


@pytest.fixture
def optimize_run(repo, imagine, tmp_path):
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    (holdout / "gamma.yaml").write_text(
        "title: Topic gamma\naudience: plant managers\nangle: it matters\n"
    )
    voice = (repo / "skills" / "imagine" / "voice.md").read_text()
    final_check = (repo / "skills" / "imagine" / "final_check.md").read_text()
    proposals = [
        edit("voice", voice + "\n- MAGIC: lead with the pivot.\n", "pivot rule"),
        edit("examples", "A longer example that changes nothing. " * 20, "longer examples"),
        "not json",
        edit("final_check", final_check.splitlines()[0], "shorter final check"),
    ]
    with OpenAIServer(World(imagine, proposals)) as server:
        run = make_run(
            repo,
            server,
            imagine,
            budget=Budget(max_experiments=4),
            holdout=load_topics(holdout),
            explore_every=2,
        )
        asyncio.run(run.run())
    return repo / "runs" / "t1"
