"""What a person sees while `hubsignal run/backfill/import/demo` runs the job in process: one progress line per
step, a short summary at the end, and the full Dagster log in a file (and in the instance, so in the UI).

Formatting only: the counts come from the run's events (snapshot assets' materialization metadata, check
evaluations via assets/quality/summary.py), nothing here decides anything about the data.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Self, TextIO

import dagster as dg
from dagster._core.events import DagsterEventType

from hubsignal.reports import format_table
from hubsignal.settings import Settings

# Keys of a snapshot asset's metadata (assets/snapshots.py SnapshotReport.metadata), optionally prefixed when one
# asset loads several sources (raw/legacy_scores: "cards_windows_loaded").
_WINDOW_COUNT = re.compile(r"^(?P<prefix>.*?)windows_(?P<kind>loaded|unchanged|missing|quarantined)$")
WINDOW_COLUMNS = ("loaded", "unchanged", "missing", "quarantined")
_LOG_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


def verbose_from_env() -> bool:
    return os.environ.get("VERBOSE", "").strip().lower() in {"1", "true", "yes", "on"}


def step_name(step_key: str | None) -> str:
    """Op name of an asset step -> its asset path (raw__hub_models -> raw/hub_models)."""
    return (step_key or "run").replace("__", "/")


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Progress(logging.Handler):
    """Receives every Dagster log record of the run (as a run logger) and redraws the progress line on step
    events. On a terminal one line is rewritten in place (and a ticker keeps 'elapsed' moving during long
    steps); otherwise one plain line per finished step."""

    def __init__(self, total_steps: int, out: TextIO):
        super().__init__(level=logging.DEBUG)
        self.total = total_steps
        self.out = out
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.done = 0
        self.current: str | None = None
        self._draw_lock = threading.Lock()  # Handler.lock is taken around emit()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True) if self.tty else None
        if self._ticker:
            self._ticker.start()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        name = step_name(event.step_key)
        if event.event_type == DagsterEventType.STEP_START:
            self.current = name
            if self.tty:
                self._draw(f"running {name}")
        elif event.event_type in (
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
            DagsterEventType.STEP_SKIPPED,
        ):
            self.done += 1
            verb = {
                DagsterEventType.STEP_SUCCESS: "done",
                DagsterEventType.STEP_FAILURE: "FAILED",
                DagsterEventType.STEP_SKIPPED: "skipped",
            }[event.event_type]
            self._draw(f"{verb} {name}", final=not self.tty)

    def line(self, what: str) -> str:
        elapsed = time.monotonic() - self.started
        text = f"[{self.done}/{self.total} steps] {what} · {clock(elapsed)} elapsed"
        if 0 < self.done < self.total:
            text += f" · ETA {clock(elapsed / self.done * (self.total - self.done))}"
        return text

    def _draw(self, what: str, final: bool = False) -> None:
        with self._draw_lock:
            if self.tty:
                self.out.write("\r\033[K" + self.line(what))
            elif final:
                self.out.write(self.line(what) + "\n")
            self.out.flush()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            if self.current:
                self._draw(f"running {self.current}")

    def close(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join()
        if self.tty:
            with self._draw_lock:
                self.out.write("\r\033[K")
                self.out.flush()
        super().close()


class RunConsole:
    """One in-process run as the command line shows it. Use as a context manager around the run:

    with RunConsole("backfill", settings, first, last) as console:
        job, options = console.instrument(job)
        result = job.execute_in_process(**options)
        status = console.finish(result)
    """

    def __init__(
        self,
        command: str,
        settings: Settings,
        first_key: str,
        last_key: str,
        *,
        verbose: bool | None = None,
        out: TextIO | None = None,
    ):
        self.command = command
        self.settings = settings
        self.first_key, self.last_key = first_key, last_key
        self.verbose = verbose_from_env() if verbose is None else verbose
        self.out = out or sys.stdout
        self.run_id = str(uuid.uuid4())  # the run id Dagster records, known up front to name the log file
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.log_path = settings.home / "logs" / f"{stamp}-{command}-{self.run_id[:8]}.log"
        self.started = time.monotonic()
        self._file: logging.FileHandler | None = None
        self._progress: _Progress | None = None
        self._root_handlers: list[logging.Handler] = []

    def __enter__(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = logging.FileHandler(self.log_path, encoding="utf-8")
        self._file.setFormatter(logging.Formatter(_LOG_FORMAT))
        # Python logging and warnings outside Dagster's log manager (the HTTP policy's retry notices, Dagster's
        # beta notices, GX) belong in the log file, not between the progress lines; on the console when verbose.
        self._root_handlers = [self._file] + ([logging.StreamHandler(sys.stderr)] if self.verbose else [])
        for handler in self._root_handlers:
            logging.getLogger().addHandler(handler)
        logging.captureWarnings(True)
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.close()
        for handler in self._root_handlers:
            logging.getLogger().removeHandler(handler)
        logging.captureWarnings(False)
        if self._file is not None:
            self._file.close()

    def instrument(self, job: dg.JobDefinition) -> tuple[dg.JobDefinition, dict]:
        """The job with this console's run logger (plus Dagster's console logger when verbose), and the
        execute_in_process options that select them."""
        self._progress = _Progress(total_steps=len(job.graph.nodes), out=self.out)
        progress, log_file = self._progress, self._file

        def run_logger(_init_context) -> logging.Logger:
            # A fresh logger per run (not logging.getLogger: a named one would keep the last run's handlers).
            logger = logging.Logger("hubsignal.run", level=logging.DEBUG)  # noqa: LOG001
            logger.addHandler(log_file)
            logger.addHandler(progress)
            return logger

        loggers = {"hubsignal": dg.LoggerDefinition(run_logger, description="progress line + log file")}
        run_config: dict = {"loggers": {"hubsignal": {}}}
        if self.verbose:  # Dagster's own console lines, live (on stderr)
            loggers["console"] = dg.colored_console_logger
            run_config["loggers"]["console"] = {"config": {"log_level": "DEBUG"}}
        n_windows = _count_windows(self.first_key, self.last_key)
        print(
            f"{n_windows} window{'s' if n_windows != 1 else ''}, one Dagster run ({self.run_id[:8]}) of "
            f"{progress.total} steps; full log: {self.log_path}",
            file=self.out,
            flush=True,
        )
        return job.with_logger_defs({**job.loggers, **loggers}), {"run_config": run_config, "run_id": self.run_id}

    def finish(self, result) -> int:
        """Print the summary (and, on failure, one FAILED line per failed step, last): 0 on success, else 1."""
        steps_done, steps_total = (self._progress.done, self._progress.total) if self._progress else (0, 0)
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        for line in summary_lines(result, self.settings, self.log_path):
            print(line, file=self.out)
        failures = failure_lines(result, self.first_key, self.last_key)
        took = clock(time.monotonic() - self.started)
        if result.success:
            print(f"Run {self.run_id[:8]} succeeded in {took}.", file=self.out, flush=True)
        else:
            print(
                f"Run {self.run_id[:8]} FAILED after {took} ({steps_done} of {steps_total} steps ran).",
                file=self.out,
                flush=True,
            )
        for line in failures:
            print(line, file=sys.stderr, flush=True)
        return 0 if result.success else 1


def _count_windows(first_key: str, last_key: str) -> int:
    from hubsignal.windows import WINDOW, parse_window_key

    return (parse_window_key(last_key) - parse_window_key(first_key)) // WINDOW + 1


def window_counts(result) -> list[tuple]:
    """(source, loaded, unchanged, missing, quarantined) per snapshot source of the run, from the snapshot
    assets' metadata (materializations, and the metadata of a step that failed after loading)."""
    metadata: list[tuple[str, dict]] = []
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        metadata.append((mat.asset_key.to_user_string(), mat.metadata))
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.user_failure_data is not None:
            metadata.append((step_name(event.step_key), event.step_failure_data.user_failure_data.metadata))
    rows: dict[str, dict[str, int]] = {}
    for asset, values in metadata:
        for key, value in values.items():
            match = _WINDOW_COUNT.match(key)
            if not match:
                continue
            source_value = values.get(f"{match['prefix']}source")
            source = getattr(source_value, "value", source_value) or asset
            rows.setdefault(source, {})[match["kind"]] = getattr(value, "value", value)
    return [(source, *(counts.get(kind, 0) for kind in WINDOW_COLUMNS)) for source, counts in sorted(rows.items())]


def summary_lines(result, settings: Settings, log_path: Path) -> list[str]:
    from pipelines.summary import summarize as quality_summary

    lines = [""]
    counts = window_counts(result)
    if counts:
        lines += ["Windows per source in this run:", format_table(["source", *WINDOW_COLUMNS], counts)]
    lines += [
        quality_summary(result, settings.warehouse).line(),
        f"Warehouse:      {settings.warehouse}",
        f"Published copy: {'none (DuckLake: `hubsignal sql` attaches it read-only)' if settings.on_lake else settings.published_warehouse}",
        f"GX Data Docs:   {settings.home / 'quality' / 'gx'}/<suite>/index.html",
        f"Log file:       {log_path}",
    ]
    return lines


def failure_lines(result, first_key: str, last_key: str) -> list[str]:
    """One line per failed step: step, window(s) and the root cause's message."""
    if result.success:
        return []
    windows = first_key if first_key == last_key else f"{first_key} .. {last_key}"
    lines = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        reason = _root_cause(event.step_failure_data)
        where = "" if "window" in reason else f" window{'s' if first_key != last_key else ''} {windows}"
        lines.append(f"FAILED {step_name(event.step_key)}{where}: {reason}")
    if not lines:  # the run failed outside any step (e.g. a resource could not start)
        failure = next((e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE), None)
        message = failure.message if failure is not None else "run failed"
        lines.append(f"FAILED run, windows {windows}: {message}")
    return lines


def _root_cause(failure_data) -> str:
    if failure_data.user_failure_data is not None and failure_data.user_failure_data.description:
        return failure_data.user_failure_data.description.strip()
    error = failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    message = error.message.strip().splitlines()
    return (message[0] if message else error.cls_name or "error")[:400]
