"""Test doubles that ship with the package: model servers on 127.0.0.1 in the real wire formats."""

from .anthropic_server import AnthropicServer
from .openai_server import OpenAIServer
from .wire import Reply, WireServer

__all__ = ["AnthropicServer", "OpenAIServer", "Reply", "WireServer"]
