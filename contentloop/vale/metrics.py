"""Vale's `metric` and `readability` rules: one number for the whole document, and an alert
at line 1, column 1 when it crosses the rule's bound (as Vale reports them).

The counts come from textstat on the document's summary text (its paragraphs and list items,
rendered as Vale reads them; headings and code left out), and the element counts (headings by
level, code blocks, lists, quotes) from the Markdown parse, or in reStructuredText and
AsciiDoc from their readers' blocks (a heading's level from its adornment or its `=`s; a
list or a quote for each run of blocks inside one). A formula is read as Vale's Tengo
expression: numbers, the variables, `+ - * / %`, parentheses, comparisons, `&&`, `||` and
`math.<function>`. It is evaluated over a whitelisted syntax tree, never by eval().
"""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable
from pathlib import Path

from ..checks.nlp import textstat_ready
from ..checks.prose import Draft, markdown_parser
from ..errors import ContentloopError
from .rules import Alert, Rule, format_message
from .view import heading_levels, summary_segment

# Vale's variables; the element counts are 0 when a document has none.
ELEMENTS = ("pre", "list", "blockquote", *(f"heading_h{i}" for i in range(1, 7)))
TEXT_VARIABLES = (
    "words",
    "sentences",
    "syllables",
    "complex_words",
    "long_words",
    "polysyllabic_words",
    "characters",
    "paragraphs",
)
# Readability's metric names (Vale's) -> textstat's function.
READABILITY = {
    "Gunning Fog": "gunning_fog",
    "Coleman-Liau": "coleman_liau_index",
    "Flesch-Kincaid": "flesch_kincaid_grade",
    "SMOG": "smog_index",
    "Automated Readability": "automated_readability_index",
}

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
# Tengo's math module names Go's functions; these are the ones a readability formula uses.
_MATH: dict[str, Callable[..., float]] = {
    "abs": math.fabs,
    "sqrt": math.sqrt,
    "pow": math.pow,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "exp": math.exp,
    "ceil": math.ceil,
    "floor": math.floor,
}
RESULT = "__res__"  # the formula's value, on the left of a condition (Vale's own name)


class Formula:
    """A Tengo arithmetic expression, checked once when the rule loads."""

    def __init__(self, source: str, path: Path, field: str, names: tuple[str, ...] = ()) -> None:
        self.source, self.names = source, (*ELEMENTS, *TEXT_VARIABLES, "math", *names)
        text = source.replace("&&", " and ").replace("||", " or ")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ContentloopError(
                f"{field} {source!r} is not an expression: {exc.msg}.",
                path=path,
                field=field,
                fix="write arithmetic over Vale's variables, e.g. (words / sentences) > 20.",
            ) from None
        self.tree = tree.body
        self._check(self.tree, path, field)

    def _check(self, node: ast.AST, path: Path, field: str) -> None:
        allowed = (
            ast.BinOp,
            ast.UnaryOp,
            ast.Compare,
            ast.BoolOp,
            ast.Constant,
            ast.Name,
            ast.Call,
            ast.Attribute,
        )
        for sub in ast.walk(node):
            bad = not isinstance(
                sub, allowed + (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)
            )
            bad = bad or isinstance(sub, ast.operator) and type(sub) not in _BINARY
            bad = bad or isinstance(sub, ast.cmpop) and type(sub) not in _COMPARE
            if isinstance(sub, ast.Call):
                bad = bad or not isinstance(sub.func, ast.Attribute) or bool(sub.keywords)
            if isinstance(sub, ast.Attribute):
                bad = bad or not (
                    isinstance(sub.value, ast.Name) and sub.value.id == "math" and sub.attr in _MATH
                )
            if isinstance(sub, ast.Name) and sub.id not in self.names:
                raise ContentloopError(
                    f"{field} names {sub.id!r}, which is not one of Vale's variables.",
                    path=path,
                    field=field,
                    fix=f"use {', '.join(TEXT_VARIABLES + ELEMENTS)}.",
                )
            if bad:
                raise ContentloopError(
                    f"{field} {self.source!r} uses {type(sub).__name__}, which a metric cannot.",
                    path=path,
                    field=field,
                    fix="use numbers, variables, + - * / %, comparisons and math.sqrt(...).",
                )

    def value(self, variables: dict[str, float]) -> float:
        return self._eval(self.tree, variables)

    def _eval(self, node: ast.AST, env: dict[str, float]) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, env)
            return (
                -v
                if isinstance(node.op, ast.USub)
                else (not v if isinstance(node.op, ast.Not) else v)
            )
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.BoolOp):
            values = [bool(self._eval(v, env)) for v in node.values]
            return float(all(values) if isinstance(node.op, ast.And) else any(values))
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, env)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self._eval(right_node, env)
                if not _COMPARE[type(op)](left, right):
                    return 0.0
                left = right
            return 1.0
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        return float(_MATH[node.func.attr](*(self._eval(a, env) for a in node.args)))


def summary(draft: Draft) -> str:
    """The body text Vale's summary scope reads: paragraphs and list items, no headings."""
    return summary_segment(draft).text


def variables(draft: Draft) -> dict[str, float]:
    """Vale's metric variables for one document (cached on the draft)."""
    cached = draft.__dict__.get("_vale_metrics")
    if cached is not None:
        return cached
    found: dict[str, float] = dict.fromkeys(ELEMENTS, 0.0)
    found["pre"] = float(len(draft.code_blocks))
    if draft.format == "markdown":
        # The prose view keeps block markup and blanks front matter, which is not a heading.
        for tok in markdown_parser().parse(draft.prose):
            if tok.type == "heading_open":
                found[f"heading_{tok.tag}"] += 1
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                found["list"] += 1
            elif tok.type == "blockquote_open":
                found["blockquote"] += 1
    else:  # plain text has no elements: its blocks are all root paragraphs
        for level in heading_levels(draft).values():
            found[f"heading_h{level}"] += 1
        for container in ("list", "blockquote"):
            inside = [b.container == container for b in draft.blocks]
            found[container] += sum(
                1 for i, x in enumerate(inside) if x and (i == 0 or not inside[i - 1])
            )
    found.update(_text_counts(summary(draft)))
    draft.__dict__["_vale_metrics"] = found
    return found


def _text_counts(text: str) -> dict[str, float]:
    import textstat  # about 0.5 s to import: only when a metric rule runs

    textstat_ready()
    words = textstat.remove_punctuation(text).split()
    if not words:
        return {}  # Vale gives no text variables for a document without words
    return {
        "words": float(len(words)),
        "sentences": float(textstat.sentence_count(text)),
        "syllables": float(textstat.syllable_count(text)),
        "polysyllabic_words": float(textstat.polysyllabcount(text)),
        "complex_words": float(sum(_complex(w) for w in words)),
        "long_words": float(textstat.long_word_count(text)),
        "characters": float(textstat.letter_count(text)),
        "paragraphs": float(text.count("\n\n") + 1),
    }


@functools.lru_cache(maxsize=65536)
def _complex(word: str) -> bool:
    """Gunning's complex word: three syllables or more, not a proper noun, not a compound, and
    not made so only by an -es, -ed or -ing ending."""
    import textstat

    if word[:1].isupper() or "-" in word:
        return False
    stem = word
    for suffix in ("es", "ed", "ing"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return textstat.syllable_count(stem) >= 3


class _DocumentRule(Rule):
    def _alert(self, draft: Draft, value: float) -> list[Alert]:
        return [
            Alert(
                rule=self.name,
                level=self.level,
                message=format_message(self.spec.message, f"{value:.2f}"),
                text="",
                offset=0,
                line=1,
                column=1,
            )
        ]


class Metric(_DocumentRule):
    def _setup(self) -> None:
        # Vale's `heading.h2` is the variable heading_h2.
        formula = self.spec.formula.replace("heading.h", "heading_h")
        self.formula = Formula(formula, self.path, "formula")
        cond = self.spec.condition.strip()
        self.condition = Formula(f"{RESULT} {cond}", self.path, "condition", (RESULT,))

    def run(self, draft: Draft) -> list[Alert]:
        env = variables(draft)
        try:
            value = self.formula.value(env)
            hit = self.condition.value({**env, RESULT: value})
        except (KeyError, ZeroDivisionError, ValueError, OverflowError):
            return []  # a document without words or sentences has no value to judge
        return self._alert(draft, value) if hit else []


class Readability(_DocumentRule):
    def _setup(self) -> None:
        unknown = [m for m in self.spec.metrics if m not in READABILITY]
        if unknown or not self.spec.metrics:
            raise ContentloopError(
                f"metrics {unknown or '(none)'} are not Vale's readability metrics.",
                path=self.path,
                field="metrics",
                fix=f"name one or more of {', '.join(READABILITY)}.",
            )

    def run(self, draft: Draft) -> list[Alert]:
        import textstat

        text = summary(draft)
        if not textstat.remove_punctuation(text).split():
            return []
        textstat_ready()
        grades = [float(getattr(textstat, READABILITY[m])(text)) for m in self.spec.metrics]
        grade = sum(grades) / len(grades)
        return self._alert(draft, grade) if grade > self.spec.grade else []
