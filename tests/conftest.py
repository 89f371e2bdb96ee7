from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
