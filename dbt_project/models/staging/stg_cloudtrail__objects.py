"""One row per trail object read (or skipped, with the reason): the ledger of ingest.objects.

Before returning it, the model reads the trail objects not read before into the ingest
tables (unless `trailcreator load` just did), in committed batches: see trailcreator.ingest.model."""


def model(dbt, session):
    dbt.config(materialized="table")
    from trailcreator.ingest.model import run_model

    # dbt passes a model only the config keys and refs its code names literally.
    config = {
        "trail": dbt.config.get("trail"),
        "accounts": dbt.config.get("accounts"),
        "regions": dbt.config.get("regions"),
        "org_id": dbt.config.get("org_id"),
        "start_date": dbt.config.get("start_date"),
        "end_date": dbt.config.get("end_date"),
        "read_threads": dbt.config.get("read_threads"),
        "read_all_again": dbt.config.get("read_all_again"),
        "ingested": dbt.config.get("ingested"),
        "athena_result": dbt.config.get("athena_result"),
        "follow_links": dbt.config.get("follow_links"),
    }
    entries = dbt.ref("stg_resource_map__entries")
    pairs = entries.query("entries", "select distinct event_source, event_name from entries").fetchall()
    if str(dbt.config.get("follow_links") or "true").strip().lower() not in ("false", "0", "no", "off"):
        # The links read a few more events than the map names; role sessions only in part.
        from trailcreator.attribution import LINK_EVENT_PAIRS, ROLE_SESSION_EVENT_PAIRS

        return run_model(dbt, session, config, [*pairs, *LINK_EVENT_PAIRS], slim=ROLE_SESSION_EVENT_PAIRS)
    return run_model(dbt, session, config, pairs)
