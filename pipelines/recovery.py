"""Recovery before a CLI run: a run killed midway (SIGKILL, OOM, a closed laptop) must never block the next one.

Every CLI run is executed in process and tagged with its process (`hubsignal/pid`, `hubsignal/host`,
`hubsignal/pid_start`: the process start time, against pid reuse). Before the next CLI run starts, a run of
this instance that is still not finished but whose process is gone is marked failed (with the reason) and
its `duckdb` pool slots and pending steps are freed; a live run is left alone (two live runs still queue on
the pool). Runs without these tags (launched by `make dev`'s webserver/daemon) are left to Dagster's run
monitoring (dagster.yaml). Stale temporary landing folders of a killed writer are removed too.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PID_TAG = "hubsignal/pid"
HOST_TAG = "hubsignal/host"
PID_START_TAG = "hubsignal/pid_start"


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return stat.rsplit(")", 1)[1].split()[19]
    except IndexError:
        return None


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run in process."""
    pid = os.getpid()
    tags = {PID_TAG: str(pid), HOST_TAG: socket.gethostname()}
    if (start := _process_start(pid)) is not None:
        tags[PID_START_TAG] = start
    return tags


def process_gone(tags: dict[str, str]) -> bool:
    """True when the tagged process no longer runs on this host (or its pid now belongs to another process)."""
    from hubsignal.landing import pid_alive

    pid = int(tags[PID_TAG])
    if not pid_alive(pid):
        return True
    recorded = tags.get(PID_START_TAG)
    current = _process_start(pid)
    return recorded is not None and current is not None and recorded != current


@dataclass
class CleanedRun:
    run_id: str
    pid: int
    status: str  # the status the run was left in
    slots_freed: int

    def line(self) -> str:
        slots = f"{self.slots_freed} pool slot{'s' if self.slots_freed != 1 else ''} freed"
        return f"cleaned up run {self.run_id[:8]} (pid {self.pid} gone, was {self.status}): marked failed, {slots}"


def _claimed_slots(instance, run_id: str) -> int:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    return sum(
        1
        for key in storage.get_concurrency_keys()
        for slot in storage.get_concurrency_info(key).claimed_slots
        if slot.run_id == run_id
    )


def recover_crashed_runs(instance) -> list[CleanedRun]:
    """Mark failed every unfinished run of this host whose process is gone, and free its pool slots."""
    import dagster as dg

    unfinished = [
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
    host = socket.gethostname()
    cleaned = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=unfinished, tags={HOST_TAG: host})):
        if PID_TAG not in run.tags or not process_gone(run.tags):
            continue
        pid = int(run.tags[PID_TAG])
        was = run.status.value
        instance.report_run_failed(
            run,
            f"The process that executed this run (pid {pid} on {host}) is gone (killed?); marked failed by "
            f"the next hubsignal run before it started.",
        )
        slots = _claimed_slots(instance, run.run_id)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        cleaned.append(CleanedRun(run.run_id, pid, was, slots))
    return cleaned


def prepare_run(instance, landing: Path | None = None) -> dict[str, str]:
    """Before a CLI run: clean up after killed runs (one line each), and return the tags for the new run."""
    from hubsignal.settings import Settings

    for run in recover_crashed_runs(instance):
        print(run.line())
    clean_landing(landing or Settings.from_env().landing)
    return process_tags()


def clean_landing(landing: Path) -> int:
    """Remove temporary landing folders left by killed writers; print how many."""
    from hubsignal.landing import remove_stale_temp_folders

    removed = remove_stale_temp_folders(landing)
    if removed:
        print(
            f"removed {len(removed)} stale temporary landing folder{'s' if len(removed) != 1 else ''}: "
            + ", ".join(str(p.relative_to(landing)) for p in removed)
        )
    return len(removed)
