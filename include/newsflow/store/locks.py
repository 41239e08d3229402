"""One writer per day: a lock file naming its holder, so a second run of the same date fails at once.

Two runs of one date would share its staging and replace each other's partitions, and one run's
articles would vanish. A CLI run holds the lock for its whole day; an Airflow run takes it in its
first task and gives it back in a teardown task, under the owner `airflow:<dag>:<run id>`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from newsflow.store.lake import Location
from newsflow.store.storage import create_exclusive, remove

LOGGER = logging.getLogger(__name__)

AIRFLOW_OWNER_PREFIX = "airflow:"


class DayLockedError(RuntimeError):
    """Another run holds the day."""


def lock_path(locks_dir: Location, day: date) -> Location:
    return locks_dir / f"ingest_date={day.isoformat()}.lock"


def this_process() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def acquire(locks_dir: Location, day: date, owner: str | None = None) -> Location:
    """Take the day's lock for `owner` (default: this process), or raise DayLockedError naming the holder.

    A lock whose holder is gone is taken over, with a warning: a process of this host that no
    longer runs, or an earlier Airflow run (the DAG runs one at a time, so that run has ended).
    The same owner taking it again (a retried task) is fine. `locks_dir` is a folder or an object
    store (`Settings.locks_dir`, beside the lake), which every worker of a cluster reaches.
    """
    path = lock_path(locks_dir, day)
    owner = owner or this_process()
    record = {
        "owner": owner,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(),
    }
    for _ in range(2):
        try:
            create_exclusive(path, json.dumps(record).encode())
            return path
        except FileExistsError:
            holder = _holder(path)
            if holder.get("owner") == owner:
                return path
            if not _is_gone(holder, owner):
                raise DayLockedError(
                    f"{day} is already being ingested by {holder.get('owner')} since {holder.get('since')}: "
                    f"wait for that run to finish (or delete {path} if it is gone)"
                ) from None
            LOGGER.warning("taking over the lock of %s from %s, which is gone", day, holder.get("owner"))
            remove(path)
    raise DayLockedError(f"could not take the lock of {day} at {path}")


def release(locks_dir: Location, day: date, owner: str | None = None) -> None:
    """Give the day's lock back, if `owner` (default: this process) holds it."""
    path = lock_path(locks_dir, day)
    if path.exists() and _holder(path).get("owner") == (owner or this_process()):
        remove(path)


@contextmanager
def day_lock(locks_dir: Location, day: date) -> Iterator[Location]:
    """Hold the day's lock for this process while the block runs."""
    path = acquire(locks_dir, day)
    try:
        yield path
    finally:
        release(locks_dir, day)


def _holder(path: Location) -> dict[str, Any]:
    try:
        holder: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return holder
    except (OSError, ValueError):  # half-written by a holder killed while taking it: it is gone
        return {"owner": "unknown", "pid": None, "host": None}


def _is_gone(holder: dict[str, Any], claimant: str) -> bool:
    owner = str(holder.get("owner"))
    if owner.startswith(AIRFLOW_OWNER_PREFIX):
        return claimant.startswith(AIRFLOW_OWNER_PREFIX)
    if holder.get("pid") is None or holder.get("host") != socket.gethostname():
        return holder.get("pid") is None  # another host's process cannot be checked from here
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False
