#!/usr/bin/env bash
# The GitHub Action's step (action.yml): score the Markdown files a change touches with
# contentloop's rule checks (no judge, no model). Inputs arrive as environment variables, never
# pasted into the script, so a branch or file name cannot inject shell.
#
#   INPUT_PATHS       files or folders to score instead of the changed files (space-separated)
#   INPUT_BASE        the ref to diff against (a pull request's base branch)
#   INPUT_RUBRIC      rubric path or name (default: contentloop's own default)
#   INPUT_FAIL_UNDER  fail below this total (default 40: any rule violation of a 40-point part)
#   INPUT_FORMAT      text | json | sarif | rdjsonl | github (default github: annotations)
#
# Exit codes are contentloop's: 0 scored, 1 below --fail-under, 2 bad input.
set -euo pipefail

args=(score --no-judge --format "${INPUT_FORMAT:-github}" --fail-under "${INPUT_FAIL_UNDER:-40}")
if [ -n "${INPUT_RUBRIC:-}" ]; then
  args+=(--rubric "$INPUT_RUBRIC")
fi

files=()
if [ -n "${INPUT_PATHS:-}" ]; then
  read -r -a files <<< "$INPUT_PATHS"
else
  base="${INPUT_BASE:-}"
  if [ -z "$base" ]; then
    echo "contentloop: no base ref to compare with (not a pull request?); set the 'paths' input." >&2
    exit 2
  fi
  ref=""
  for candidate in "$base" "origin/$base"; do
    if git rev-parse --verify --quiet "$candidate^{commit}" > /dev/null; then
      ref="$candidate"
      break
    fi
  done
  if [ -z "$ref" ]; then
    git fetch --no-tags --quiet origin "$base" && ref=FETCH_HEAD || {
      echo "contentloop: cannot find '$base' in this checkout; use actions/checkout with fetch-depth: 0." >&2
      exit 2
    }
  fi
  # Added, copied, modified or renamed Markdown: a deleted file has nothing to score.
  while IFS= read -r -d '' f; do
    files+=("$f")
  done < <(git diff --name-only -z --diff-filter=ACMR "$ref...HEAD" -- '*.md' '*.mdx' '*.markdown')
fi

if [ "${#files[@]}" -eq 0 ]; then
  echo "contentloop: no changed Markdown files to score."
  exit 0
fi
exec contentloop "${args[@]}" -- "${files[@]}"
