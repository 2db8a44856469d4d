"""One row per trail object read (or skipped, with the reason): the ledger of ingest.objects.

Before returning it, the model reads the trail objects not read before into the ingest
tables (unless `trailcreator load` just did), in committed batches: see trailcreator.ingest."""


def model(dbt, session):
    dbt.config(materialized="table")
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
        "read_all_again": dbt.config.get("read_all_again"),
        "ingested": dbt.config.get("ingested"),
        "athena_result": dbt.config.get("athena_result"),
    }
    entries = dbt.ref("stg_resource_map__entries")
    return run_model(dbt, session, config, entries)
