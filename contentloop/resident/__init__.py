"""A resident checker: a warm process that runs `score --no-judge` for the commands it is sent.

Checking one changed file costs about a second of starting spaCy (import, blank pipeline)
before a word is read: more than the check itself, and paid again by every pre-commit hook
and editor save. `contentloop daemon start` pays it once. The server imports and warms the
checks, then forks a child per command; the child takes the caller's stdin, stdout and stderr
(passed over a Unix socket), working folder, environment and arguments, and runs the
ordinary CLI, so what it prints and its exit code are those of an in-process run.

address.py and client.py import only the standard library: the client decides in a few
milliseconds whether a server is there, and runs the command in-process when it is not.
"""

DEFAULT_IDLE = 900.0  # seconds without a command before a server exits
