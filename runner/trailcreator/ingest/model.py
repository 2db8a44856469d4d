"""The body of the dbt Python model ``stg_cloudtrail__objects``: read what is new, return the ledger.

Under ``trailcreator load`` the runner has read the trail already (``ingested``); under a
plain ``dbt build`` the model reads it, and fails (after committing what it read) when an
object could not be fetched; under ``load-athena`` it reads the query's result.
"""

from __future__ import annotations

import re
import sys

from . import listing
from .athena_result import ingest_athena_result
from .reader import SCHEMA, ensure_tables, forget_all, ingest


def _split(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v for v in re.split(r"[,\s]+", str(value)) if v]


def spec_from_config(get) -> listing.TrailSpec:
    """The trail spec from the model's config (dbt vars or TRAILCREATOR_* environment variables)."""
    window = listing.parse_window(start=get("start_date") or None, end=get("end_date") or None)
    return listing.make_spec(get("trail") or "", _split(get("accounts")), _split(get("regions")), get("org_id") or None, window)


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes")


def run_model(dbt, session, config: dict, pairs, slim=()):
    """Body of ``stg_cloudtrail__objects``: read the trail objects not read before (unless the
    runner just did), then return the ledger."""
    ensure_tables(session)
    if config.get("athena_result"):  # trailcreator load-athena: the input is a query's result CSV
        if _truthy(config.get("read_all_again")):
            forget_all(session)
        ingest_athena_result(session, config.get("athena_result"), pairs, _split(config.get("accounts")))
    elif not _truthy(config.get("ingested")):
        st = ingest(session, spec_from_config(config.get), pairs, slim=slim,
                    full_refresh=_truthy(config.get("read_all_again")),
                    threads=int(config.get("read_threads") or 0) or None)
        print(f"trailcreator: objects read:{st.objects_read} skipped:{st.objects_skipped} "
              f"records scanned:{st.records_scanned} create events kept:{st.records_kept} "
              f"unusable:{st.records_unusable}", file=sys.stderr, flush=True)
        if st.objects_unfetched:
            # What was read is committed; failing here keeps every later model as it was, so a
            # plain `dbt build` is not a success with objects missing (as `trailcreator load`).
            raise RuntimeError(
                f"{st.objects_unfetched} object(s) could not be fetched (throttling, S3 errors or the "
                f"network, after the retries; named above): the models were not rebuilt; run again: "
                f"the next run reads only those")
    return session.sql(f"select * from {SCHEMA}.objects")
