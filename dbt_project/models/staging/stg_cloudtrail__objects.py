"""One row per trail object read: key, size, status, reason when skipped, records scanned,
and the mapped successful records it held.  Incremental: an object is read once, and again
only when it changed or the map's event types did.  The reading is in trailcreator.ingest."""


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="object_key")
    from trailcreator.ingest import run_model

    # dbt passes a model only the config keys and refs its code names literally.
    config = {
        "trail": dbt.config.get("trail"),
        "accounts": dbt.config.get("accounts"),
        "regions": dbt.config.get("regions"),
        "org_id": dbt.config.get("org_id"),
        "start_date": dbt.config.get("start_date"),
        "end_date": dbt.config.get("end_date"),
        "read_threads": dbt.config.get("read_threads"),
        "athena_result": dbt.config.get("athena_result"),
    }
    entries = dbt.ref("stg_resource_map__entries")
    return run_model(dbt, session, config, entries)
