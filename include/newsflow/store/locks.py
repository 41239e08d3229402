"""One writer per day: a lease on a lock file naming its holder, so a second run of the same date
fails at once, and a dead holder's day is taken over once it is provably gone.

Two runs of one date would share its staging and replace each other's partitions, and one run's
articles would vanish. The lock lives beside the lake (`Settings.locks_dir`, a folder or an object
store that every worker of a cluster reaches) and says who holds it, since when, and until when:
a holder renews its lease while it works (`keep`), so a holder that died on any host or container
stops renewing and its lease expires. A CLI run keeps the lock for its whole day; an Airflow run
takes it in its first task under the owner `airflow:<dag>:<run id>`, each of its tasks that touches
the day renews it, and its last task gives it back (see `newsflow.tasks`).

A takeover creates the next generation of the lock (`ingest_date=D.<generation>.lock`) with an
exclusive create, so of two runs taking over one dead holder's day, one wins and the other is told
who holds it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil

from newsflow.store.lake import Location
from newsflow.store.storage import create_exclusive, read_bytes, remove, write_bytes

LOGGER = logging.getLogger(__name__)

AIRFLOW_OWNER_PREFIX = "airflow:"
# How long a lock lasts unless renewed: longer than an Airflow run waits between two of its tasks
# (queued behind other DAGs' tasks), short enough that a crashed run's day is free the same night.
LEASE_S = 30 * 60.0
RENEWALS_PER_LEASE = 6  # a holder renews every LEASE_S / 6 (5 min): a missed renewal or two is harmless
_GENERATION = re.compile(r"\.(\d+)\.lock$")
_DAMAGED = "a damaged lock file"


class DayLockedError(RuntimeError):
    """Another run holds the day."""


@dataclass(frozen=True, slots=True)
class Lease:
    """What a lock file says: who holds the day, since when, and until when unless renewed."""

    owner: str
    host: str
    machine: str  # this machine and pid namespace: a pid means something only there
    pid: int
    pid_started: float  # the process's start time: a pid reused by another process has another
    since: str
    renewed_at: str
    expires_at: str


def lock_path(locks_dir: Location, day: date, generation: int = 1) -> Location:
    return locks_dir / f"ingest_date={day.isoformat()}.{generation:06d}.lock"


def this_process() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def acquire(locks_dir: Location, day: date, owner: str | None = None, lease_s: float = LEASE_S) -> Location:
    """Take the day's lock for `owner` (default: this process) for `lease_s`, or raise DayLockedError
    saying who holds it and for how long. The same owner taking it again (a retried task, the next
    task of a run) renews it. A holder that is provably gone is taken over, with a warning: its
    lease expired; a process of this machine that no longer runs (or whose pid another process
    took); an earlier run of the same Airflow DAG (it runs one at a time: that run has ended).
    """
    owner = owner or this_process()
    for _ in range(3):  # another run may take the same generation between our read and our write
        generation, current = _current(locks_dir, day)
        now = datetime.now(UTC)
        if current is not None and current.owner == owner:
            return _write(lock_path(locks_dir, day, generation), _renewed(current, now, lease_s))
        if current is not None:
            why_gone = _why_gone(current, owner, now)
            if why_gone is None:
                raise DayLockedError(_held_message(day, current, now))
            LOGGER.warning("taking over the lock of %s from %s: %s", day, current.owner, why_gone)
        path = lock_path(locks_dir, day, generation + 1)
        try:
            create_exclusive(path, _encode(_new_lease(owner, now, lease_s)))
        except FileExistsError:
            continue
        for old in _generations(locks_dir, day)[:-1]:
            remove(old[1])
        return path
    raise DayLockedError(f"could not take the lock of {day} in {locks_dir}: other runs keep taking it")


def release(locks_dir: Location, day: date, owner: str | None = None) -> None:
    """Give the day's lock back, if `owner` (default: this process) holds it."""
    generation, current = _current(locks_dir, day)
    if current is not None and current.owner == (owner or this_process()):
        remove(lock_path(locks_dir, day, generation))


def airflow_owner(dag_id: str, run_id: str) -> str:
    """The owner of the days an Airflow run holds: every task of the run renews the same lease."""
    return f"{AIRFLOW_OWNER_PREFIX}{dag_id}:{run_id}"


@contextmanager
def keep(
    locks_dir: Location, days: Sequence[date], owner: str | None = None, lease_s: float = LEASE_S
) -> Iterator[None]:
    """Take or renew the days' locks for `owner` and renew them in the background while the block
    runs; they stay taken afterwards (the run's next task renews them, its last gives them back)."""
    for day in days:
        acquire(locks_dir, day, owner, lease_s)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / RENEWALS_PER_LEASE):
            for day in days:
                try:
                    acquire(locks_dir, day, owner, lease_s)
                except (DayLockedError, OSError) as exc:  # the block goes on; its writes may now collide
                    LOGGER.error("%s: the lease of %s not renewed: %s", day, owner or this_process(), exc)

    heartbeat = threading.Thread(target=renew, name="day leases", daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()


@contextmanager
def day_lock(locks_dir: Location, day: date, lease_s: float = LEASE_S) -> Iterator[None]:
    """Hold the day's lock for this process while the block runs, renewed meanwhile."""
    try:
        with keep(locks_dir, [day], lease_s=lease_s):
            yield
    finally:
        release(locks_dir, day)


def _generations(locks_dir: Location, day: date) -> list[tuple[int, Location]]:
    found = [
        (int(match.group(1)), path)
        for path in locks_dir.glob(f"ingest_date={day.isoformat()}.*.lock")
        if (match := _GENERATION.search(path.name))
    ]
    return sorted(found, key=lambda found: found[0])


def _current(locks_dir: Location, day: date) -> tuple[int, Lease | None]:
    """The latest generation of the day's lock and its lease (None when the day is free); a lock
    file that cannot be read (damaged by hand or by a full disk) is a lease that has expired."""
    generations = _generations(locks_dir, day)
    if not generations:
        return 0, None
    generation, path = generations[-1]
    try:
        return generation, Lease(**json.loads(read_bytes(path)))
    except FileNotFoundError:  # released meanwhile
        return generation, None
    except (ValueError, TypeError) as exc:
        LOGGER.warning("%s is damaged (%s)", path, exc)
        return generation, Lease(_DAMAGED, "", "", 0, 0.0, "", "", "")


def _why_gone(holder: Lease, claimant: str, now: datetime) -> str | None:
    """Why the holder is provably gone, or None when it may still be working."""
    if holder.owner == _DAMAGED:
        return "its lock file is damaged (a holder never writes half of one)"
    if now > datetime.fromisoformat(holder.expires_at):
        return f"its lease expired {_ago(now - datetime.fromisoformat(holder.expires_at))} ago"
    dag = holder.owner.split(":")[:2]
    if holder.owner.startswith(AIRFLOW_OWNER_PREFIX) and claimant.split(":")[:2] == dag:
        return f"an earlier run of {dag[1]}, which runs one at a time"
    if holder.owner.startswith(AIRFLOW_OWNER_PREFIX) or holder.machine != _machine():
        return None  # only the lease tells about another machine's process
    try:
        started = psutil.Process(holder.pid).create_time()
    except psutil.NoSuchProcess:
        return f"its process {holder.pid} no longer runs"
    if abs(started - holder.pid_started) > 1:
        return f"its pid {holder.pid} now belongs to another process"
    return None


def _held_message(day: date, holder: Lease, now: datetime) -> str:
    since = datetime.fromisoformat(holder.since)
    renewed = datetime.fromisoformat(holder.renewed_at)
    expires = datetime.fromisoformat(holder.expires_at)
    process = f"pid {holder.pid} on {holder.host}"
    who = holder.owner if holder.owner == process else f"{holder.owner} (taken by {process})"
    return (
        f"{day} is already being ingested by {who} "
        f"for {_ago(now - since)}, since {since:%Y-%m-%d %H:%M:%S} UTC; lease renewed {_ago(now - renewed)} "
        f"ago, expires in {_ago(expires - now)} unless renewed: wait for that run to finish"
    )


def _ago(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def _new_lease(owner: str, now: datetime, lease_s: float) -> Lease:
    pid = os.getpid()
    started = now.isoformat()
    lease = Lease(
        owner, socket.gethostname(), _machine(), pid, psutil.Process(pid).create_time(), started, "", ""
    )
    return _renewed(lease, now, lease_s)


def _renewed(lease: Lease, now: datetime, lease_s: float) -> Lease:
    return replace(
        lease, renewed_at=now.isoformat(), expires_at=(now + timedelta(seconds=lease_s)).isoformat()
    )


def _write(path: Location, lease: Lease) -> Location:
    write_bytes(path, _encode(lease))
    return path


def _encode(lease: Lease) -> bytes:
    return json.dumps(asdict(lease), indent=1).encode()


def _machine() -> str:
    """This machine (its boot) and pid namespace: two containers may share a host name, never both."""
    parts = [socket.gethostname()]
    for source in (Path("/proc/sys/kernel/random/boot_id"), Path("/proc/self/ns/pid")):
        try:
            parts.append(os.readlink(source) if source.is_symlink() else source.read_text().strip())
        except OSError:
            parts.append("?")
    return " ".join(parts)
