"""LLM backends behind one protocol, one call cache and one cost ledger."""

from .cache import CallCache, cache_key
from .client import Client
from .config import ModelChoice, RoleConfig, make_backend, resolve
from .ledger import TOKEN_KINDS, CostLedger, cost_usd
from .scripted import ScriptedBackend
from .types import Backend, BackendError, Message, Request, Response, Usage

__all__ = [
    "TOKEN_KINDS",
    "Backend",
    "BackendError",
    "CallCache",
    "Client",
    "CostLedger",
    "Message",
    "ModelChoice",
    "Request",
    "Response",
    "RoleConfig",
    "ScriptedBackend",
    "Usage",
    "cache_key",
    "cost_usd",
    "make_backend",
    "resolve",
]
