"""The inbox sensor: imports what is dropped into $HUBSIGNAL_HOME/inbox/ (hubsignal.imports.inbox, the same code
as `hubsignal import`) and requests ONE run of the main job over the window range covering what it landed."""

import dagster as dg

from assets.partitions import FIRST_WINDOW_TAG
from hubsignal.families import load_families
from hubsignal.imports.inbox import process_inbox
from hubsignal.settings import partitions_start
from hubsignal.windows import parse_window_key
from pipelines.jobs import snapshot_job
from pipelines.resources import HubsignalResource

INBOX_SETTLE_S = 10.0  # an entry is taken once unchanged for this long (a file being copied is not half-read)


@dg.sensor(
    job=snapshot_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Imports files dropped into $HUBSIGNAL_HOME/inbox/ (moved to inbox/done/ or inbox/rejected/ "
    "with a .error.txt), then requests one run over the windows they landed in.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, hubsignal: HubsignalResource):
    settings = hubsignal.settings()
    result = process_inbox(
        settings.home,
        landing=settings.landing,
        families=load_families(settings.families_file),
        partitions_start=parse_window_key(partitions_start()),
        settle_s=INBOX_SETTLE_S,
    )
    for line in result.lines():
        context.log.info(line)
    if result.run_range is None:
        done = f"{len(result.done)} imported without new windows, " if result.done else ""
        return dg.SkipReason(f"{done}{len(result.rejected)} rejected, {len(result.waiting)} waiting: no window to run")
    first, last = result.run_range
    tags = {"hubsignal/trigger": "inbox", "hubsignal/imported": ", ".join(result.done)[:200]}
    # A range in ONE run: a run of its last window widened back to the first (assets/partitions.py).
    if first != last:
        tags[FIRST_WINDOW_TAG] = first
    return dg.RunRequest(run_key=result.run_key, partition_key=last, tags=tags)
