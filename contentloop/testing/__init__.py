"""Test doubles that ship with the package: model servers on 127.0.0.1 in the real wire formats."""

from .servers import AnthropicServer, OpenAIServer, Reply, WireServer

__all__ = ["AnthropicServer", "OpenAIServer", "Reply", "WireServer"]
