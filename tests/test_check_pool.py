"""Rule checks on several processes: the same cards as one process, errors still named."""

import os

import pytest

from contentloop import check_pool, load_rubric, score_files
from contentloop.errors import ContentloopError

POSTS = [
    "# One\n\nThat is not a radio problem. It is a planning problem.\n\nI leverage it — fast!\n",
    "# Two\n\nThe plan was my idea, and we leverage it.\n\n## Next steps\n\nCall the team.\n",
    "# Three\n\nCells report every shift. Cells report every shift.\n",
    "# Four\n\nNothing here is wrong at all, said plainly.\n",
]


@pytest.fixture
def folder(tmp_path):
    for i, text in enumerate(POSTS * 3):
        (tmp_path / f"post-{i:02}.md").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def forked(monkeypatch, tmp_path):
    """Pool every draft however small, and record which processes checked them."""
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setattr(check_pool, "MIN_CHARS", 0)
    real = check_pool._check

    def recording(draft, rubric):
        (pids / str(os.getpid())).touch()
        return real(draft, rubric)

    monkeypatch.setattr(check_pool, "_check", recording)
    return pids


def test_several_processes_give_the_cards_one_process_gives(folder, forked):
    rubric = load_rubric("imagine")
    one = score_files([folder], rubric, jobs=1)
    (forked / str(os.getpid())).unlink()
    two = score_files([folder], rubric, jobs=2)
    assert [c.model_dump() for c in two] == [c.model_dump() for c in one]
    assert any(c.binary.violations for c in two)
    # The parent checks the first draft; forked workers checked the others.
    assert {int(p.name) for p in forked.iterdir()} - {os.getpid()}


def test_a_check_that_runs_over_its_budget_in_a_worker_names_the_rubric_field(folder, forked):
    head, tail = load_rubric("imagine").path.read_text(encoding="utf-8").split("\njudge:", 1)
    slow = '    - id: slow\n      type: pattern\n      regex: true\n      pattern: "(a|aa)+$"\n'
    (folder / "bad.yaml").write_text(
        f"{head.rstrip()}\n\n{slow}      deduction: 1\n\njudge:{tail}", encoding="utf-8"
    )
    rubric = load_rubric(folder / "bad.yaml")
    (folder / "post-99.md").write_text("# Title\n\n" + "a" * 80 + "b\n", encoding="utf-8")
    with pytest.raises(ContentloopError) as caught:
        score_files([folder], rubric, jobs=2)
    assert "bad.yaml" in str(caught.value) and "backtracks" in str(caught.value)
    assert caught.value.fix  # the fields survive the trip back from the worker


def test_few_or_small_drafts_are_checked_in_this_process(folder, monkeypatch):
    monkeypatch.setattr(
        check_pool.multiprocessing, "get_context", lambda *_: pytest.fail("forked for 12 posts")
    )
    cards = score_files([folder], load_rubric("imagine"), jobs=2)
    assert len(cards) == 12
