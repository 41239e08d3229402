"""Standard-library internals: a process pool's worker processes, a log formatter's format and the
interpreter's exit handlers."""

from __future__ import annotations

import atexit
import logging
from concurrent.futures import ProcessPoolExecutor


def kill_pool_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (those a broken pool has left, or one whose work is no longer
    wanted), before its shutdown waits for them.

    When a worker dies, CPython 3.11 terminates the pool's other workers and then waits for every
    one; a worker it starts at that moment for a new submission escapes the termination, waits for
    work forever, and so does the shutdown (seen as a hang of the worker-kill test). Python 3.14's
    `kill_workers()` does this; before it, the pool's private `_processes` is the only handle.
    """
    for worker in list((pool._processes or {}).values()):  # noqa: SLF001
        worker.kill()


def log_format(formatter: logging.Formatter) -> str | None:
    """The format string a formatter was built with (a forkserver child is set up with the same)."""
    return formatter._fmt  # noqa: SLF001


def run_exit_handlers() -> None:
    """Run (and clear) the `atexit` handlers now, as the interpreter's exit would: for a process
    that then leaves with `os._exit`, skipping the rest of the teardown."""
    atexit._run_exitfuncs()  # noqa: SLF001
