"""Where the optimizer edits the skill: a git worktree on branch autoexp/<tag> (the user's
branch and working tree are never touched), or, with --no-git, a copy with snapshots."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import ContentloopError


def git_or_fail(*args: str, cwd: Path) -> str:
    """stdout of a git command; a failure is a ContentloopError with git's own message."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ContentloopError(
            f"git {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout.strip()


class GitWorkspace:
    def __init__(
        self,
        skill_dir: Path,
        run_dir: Path,
        tag: str,
        *,
        reopen: bool = False,
        branch: str | None = None,
    ) -> None:
        skill_dir = skill_dir.resolve()
        try:
            self.root = Path(git_or_fail("rev-parse", "--show-toplevel", cwd=skill_dir))
        except ContentloopError as exc:
            raise ContentloopError(
                "is not inside a git repository.",
                path=skill_dir,
                fix="run git init, or pass --no-git.",
            ) from exc
        self.rel = skill_dir.relative_to(self.root)
        self.branch = branch or f"autoexp/{tag}"
        self.tree = (run_dir / "worktree").resolve()
        self.skill_dir = self.tree / self.rel
        self.run_dir = run_dir
        self._identity = (
            []
            if git_out("config", "user.email", cwd=self.root)
            else ["-c", "user.name=contentloop", "-c", "user.email=contentloop@localhost"]
        )
        if reopen and self.tree.is_dir():
            return
        if reopen:
            # Killed between writing run.json and creating the worktree: create it now, on
            # the branch if `git worktree add -b` got as far as making it.
            git_or_fail("worktree", "prune", cwd=self.root)
            has_branch = git_or_fail("branch", "--list", self.branch, cwd=self.root)
            start = [self.branch] if has_branch else ["-b", self.branch, "HEAD"]
            git_or_fail("worktree", "add", "-q", str(self.tree), *start, cwd=self.root)
            return
        dirty = git_or_fail("status", "--porcelain", "--", str(self.rel), cwd=self.root)
        if dirty:
            raise ContentloopError(
                f"has uncommitted changes:\n{dirty}\nThe optimizer commits each try on its own branch and "
                "compares against the committed skill, so it starts only from a clean skill.",
                path=skill_dir,
                fix="commit or stash the changes under the skill, then run again.",
            )
        git_or_fail(
            "worktree", "add", "-q", "-b", self.branch, str(self.tree), "HEAD", cwd=self.root
        )

    def restore(self, commit: str, last_experiment: int = 0) -> None:
        """Make the branch agree with the ledger: HEAD is `commit`, the best the records name.

        A commit made for an experiment that was never logged (killed between commit and log)
        is reset away, and the experiment runs again under the same number.
        """
        git_or_fail("reset", "-q", "--hard", commit, cwd=self.tree)
        # A kill inside an atomic write leaves its temp file; the next `git add -A` would commit it.
        git_or_fail("clean", "-fdq", "--", str(self.rel), cwd=self.tree)
        self.keep(self.run_dir)

    def rollback(self, commit: str) -> None:
        """The drift guard found the path below `commit`: the branch goes back to it."""
        self.restore(commit)

    def head(self) -> str:
        return git_or_fail("rev-parse", "--short=12", "HEAD", cwd=self.tree)

    def has_changes(self) -> bool:
        return bool(git_or_fail("status", "--porcelain", "--", str(self.rel), cwd=self.tree))

    def commit(self, message: str) -> str:
        git_or_fail("add", "-A", "--", str(self.rel), cwd=self.tree)
        git_or_fail(*self._identity, "commit", "-q", "-m", message, cwd=self.tree)
        return self.head()

    def revert(self) -> None:
        git_or_fail("reset", "-q", "--hard", "HEAD~1", cwd=self.tree)

    def keep(self, run_dir: Path) -> None:
        _snapshot(self.skill_dir, run_dir / "best-skill")

    def adopt_command(self) -> str:
        return f"git checkout {self.branch} -- {self.rel}"


def git_out(*args: str, cwd: Path) -> str:
    """stdout of a git command, or "" when it fails (not a repository, an unset key)."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def save_kept(skill_dir: Path, run_dir: Path, commit: str) -> Path:
    """A copy of a kept skill under runs/<tag>/kept/<commit>/: the drift guard's rollback, the
    final confirmation and --resume load the baseline and earlier bests from here, whatever
    the workspace."""
    dst = run_dir / "kept" / commit
    if not dst.exists():
        _snapshot(skill_dir, dst)
    return dst


def _snapshot(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)


class SnapshotWorkspace:
    """--no-git: edit a copy of the skill; the best version is kept as a snapshot folder."""

    def __init__(
        self,
        skill_dir: Path,
        run_dir: Path,
        tag: str,
        *,
        reopen: bool = False,
        branch: str | None = None,  # no branches without git
    ) -> None:
        self.source = skill_dir.resolve()
        self.skill_dir = run_dir / "skill"
        self.run_dir = run_dir
        self._n = 0
        if not reopen:
            _snapshot(self.source, self.skill_dir)
            _snapshot(self.skill_dir, run_dir / "best-skill")

    def head(self) -> str:
        return f"snap-{self._n:04d}"

    def has_changes(self) -> bool:
        return True  # snapshots are cheap; a no-op "commit" only numbers the version

    def commit(self, message: str) -> str:
        self._n += 1
        return self.head()

    def revert(self) -> None:
        _snapshot(self.run_dir / "best-skill", self.skill_dir)

    def keep(self, run_dir: Path) -> None:
        _snapshot(self.skill_dir, run_dir / "best-skill")

    def restore(self, commit: str, last_experiment: int = 0) -> None:
        """The skill as it was at `commit` (a kept snapshot, see save_kept). Snapshot numbers
        go on after the last experiment's, so no two tries share a name."""
        _snapshot(self.run_dir / "kept" / commit, self.skill_dir)
        self._n = max(self._n, last_experiment)
        self.keep(self.run_dir)

    def rollback(self, commit: str) -> None:
        self.restore(commit)

    def adopt_command(self) -> str:
        return f"cp -r {self.run_dir / 'best-skill'}/. {self.source}/"
