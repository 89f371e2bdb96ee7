"""spaCy on demand: only the stretches of prose a check reads are parsed.

The prose is cut into chunks at blank lines. spaCy's tokenizer splits text at whitespace first
and works on each piece alone, so a chunk parsed by itself gives the tokens the whole text
would give at those offsets. Sentences end at a chunk's end: a heading is not the start of
the paragraph under it, as Vale also reads them.

Most chunks need no parse at all: a banned term or a pronoun can only be where its word is
(`candidates`), a repeated sentence only where a run of its words repeats, a lead pivot only
in the lead. On 52 real READMEs that left 737 of 3,516 chunks for spaCy, which had been over
half of a `score --no-judge` pass. `prepare` parses what every check of a rubric will
ask for, for many drafts in one spaCy stream, before any check's time budget starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .nlp import nlp
from .prose import Draft, letter_runs

if TYPE_CHECKING:
    from spacy.tokens import Doc


@functools.lru_cache(maxsize=64)
def _keys(forms: frozenset[str]) -> tuple[dict[str, list[frozenset[str]]], tuple[str, ...]]:
    """What must be in a chunk for a token whose lower case is in `forms` to be there.

    A token ends where letters meet a non-letter, so the runs of letters in its text are runs
    of letters in the chunk; the exceptions are spaCy's tokenizer exceptions that cut a word
    in two ("Id" gives "I" + "d", "Im" gives "I" + "m"), so such a word is a key too.
    Keys are indexed by one of their runs; a form without letters is looked for as text."""
    by_run: dict[str, list[frozenset[str]]] = {}
    bare: set[str] = set()

    def add(text: str) -> None:
        runs = frozenset(letter_runs(text))
        if runs:
            by_run.setdefault(min(runs), []).append(runs)
        else:
            bare.add(text.lower())

    for form in forms:
        add(form)
    for word, pieces in nlp().tokenizer.rules.items():
        orths = [p[65].lower() for p in pieces]  # 65 is spaCy's ORTH attribute id
        if len(orths) > 1 and forms.intersection(orths):
            add(word)
    return by_run, tuple(sorted(bare))


def candidates(draft: Draft, forms: frozenset[str]) -> list[int]:
    """Indexes of the chunks that may hold a token whose lower case is in `forms`."""
    memo = ("candidates", forms)
    if memo not in draft.memo:
        by_run, bare = _keys(forms)
        draft.memo[memo] = [
            i
            for i, have in enumerate(draft.chunk_words)
            if any(key <= have for run in have for key in by_run.get(run, ()))
            or (bare and any(b in draft.chunk_text(i).lower() for b in bare))
        ]
    return draft.memo[memo]  # type: ignore[return-value]


Needs = Callable[[Draft, Any], Iterable[int]]
NEEDS: dict[str, Needs] = {}


def parse_chunks(wanted: Iterable[tuple[Draft, int]]) -> None:
    """Tokenize the named chunks that are not tokenized yet, in one spaCy stream."""
    todo: list[tuple[Draft, int]] = []
    seen: set[tuple[int, int]] = set()
    for draft, i in wanted:
        if i not in draft._docs and (id(draft), i) not in seen:
            seen.add((id(draft), i))
            todo.append((draft, i))
    if not todo:
        return
    texts = (d.prose[d.chunks[i][0] : d.chunks[i][1]] for d, i in todo)
    # Tokens only: the pipeline's sentencizer would make an object of every token, and most
    # chunks are parsed for one word (sentences() splits the few read sentence by sentence).
    for (draft, i), doc in zip(todo, nlp().tokenizer.pipe(texts, batch_size=256), strict=True):
        draft._docs[i] = doc


def prepare(drafts: Sequence[Draft], checks: Sequence[Any]) -> None:
    """Parse, for every draft, the chunks its checks will read (see NEEDS)."""
    wanted: list[tuple[Draft, int]] = []
    for draft in drafts:
        for cfg in checks:
            needs = NEEDS.get(cfg.type)
            if needs is not None:
                wanted.extend((draft, i) for i in needs(draft, cfg))
    parse_chunks(wanted)


def docs(draft: Draft, ids: Iterable[int]) -> list[tuple[int, Doc]]:
    """(offset of the chunk in the prose, its Doc) for chunks `ids`, parsing any not parsed."""
    ids = list(ids)
    parse_chunks((draft, i) for i in ids)
    return [(draft.chunks[i][0], draft._docs[i]) for i in ids]


def sentences(draft: Draft, i: int) -> list[tuple[int, int]]:
    """(start, end) prose offsets of chunk i's sentences; an end includes the whitespace up to
    the next sentence."""
    memo = ("sentences", i)
    if memo not in draft.memo:
        ((offset, doc),) = docs(draft, [i])
        starts = sentence_starts(doc)
        ends = [*starts[1:], draft.chunks[i][1] - offset]  # not len(doc.text): a token pass
        draft.memo[memo] = [(offset + s, offset + e) for s, e in zip(starts, ends, strict=True)]
    return draft.memo[memo]  # type: ignore[return-value]


def sentences_in(draft: Draft, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of the chunks that overlap prose[start:end]."""
    span = draft.chunks_in(start, len(draft.prose) if end is None else end)
    return [s for i in span for s in sentences(draft, i)]


def sentence_starts(doc: Doc) -> list[int]:
    """Character offsets where spaCy's sentencizer starts a sentence in `doc`: at the first
    token after one of its punctuation marks that is not punctuation itself.

    The pipe's own rule (Sentencizer.predict) and its own marks, run over three integer
    columns: the pipe makes a Python object of every token, which took most of the time of
    checking prose that repeats itself. tests/test_prose.py holds the two to the same
    answers."""
    from spacy.attrs import IDX, IS_PUNCT, ORTH

    if not len(doc):
        return []
    marks = _sentence_marks()
    starts = [0]
    seen_mark = False
    for idx, is_punct, orth in doc.to_array([IDX, IS_PUNCT, ORTH]).tolist():
        is_mark = orth in marks
        if seen_mark and not is_punct and not is_mark:
            starts.append(idx)
            seen_mark = False
        elif is_mark:
            seen_mark = True
    return starts


@functools.cache
def _sentence_marks() -> frozenset[int]:
    pipeline = nlp()
    return frozenset(
        pipeline.vocab.strings.add(c) for c in pipeline.get_pipe("sentencizer").punct_chars
    )
