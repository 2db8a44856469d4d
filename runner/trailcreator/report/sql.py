"""The report's figures, each one SQL query over the models of the DuckDB file (and the plans).

The page only lays out what these queries return: a number on the page is a number here, so
anyone can check it with ``trailcreator query`` (the browser tests do).  A query whose table
is not in the file (a file ``export-athena`` wrote holds the marts only) is left out, and the
page says so.  The queries read ``resource_creators`` through ``rc``, a view the runner makes.
"""

from __future__ import annotations

# section -> (the tables it needs, {name: sql}).  Each query returns rows of named columns.
SECTIONS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "load": (("stg_cloudtrail__objects", "stg_cloudtrail__events"), {
        "totals": """
            select
                count(*) filter (where status = 'ok') as objects_read,
                count(*) filter (where status <> 'ok') as objects_skipped,
                coalesce(sum(object_size), 0)::bigint as object_bytes,
                coalesce(sum(records_scanned), 0)::bigint as records_scanned,
                coalesce(sum(records_kept), 0)::bigint as records_kept,
                coalesce(sum(records_unusable), 0)::bigint as records_unusable,
                (select count(*) from stg_cloudtrail__events) as create_events,
                (select strftime(min(event_time), '%Y-%m-%dT%H:%M:%SZ') from stg_cloudtrail__events) as first_event,
                (select strftime(max(event_time), '%Y-%m-%dT%H:%M:%SZ') from stg_cloudtrail__events) as last_event,
                (select count(distinct account_id) from stg_cloudtrail__events) as accounts,
                (select count(distinct region) from stg_cloudtrail__events) as regions,
                (select count(*) from rc) as resources,
                (select count(*) from rc where creator is not null) as resources_with_creator
            from stg_cloudtrail__objects""",
        "skipped": """
            select status, error as reason, object_key
            from stg_cloudtrail__objects where status <> 'ok' order by status, error, object_key""",
        # ingest.objects.unusable_reasons reads "2 no event time; 1 no account id (...)"
        "unusable": """
            select trim(regexp_extract(part, '^\\s*\\d+\\s+(.*)$', 1)) as reason,
                   sum(regexp_extract(part, '^\\s*(\\d+)', 1)::bigint) as records,
                   count(distinct object_key) as objects,
                   min(object_key) as first_object
            from (select object_key, unnest(string_split(unusable_reasons, '; ')) as part
                  from stg_cloudtrail__objects where unusable_reasons is not null)
            group by 1 order by 2 desc, 1""",
        "accounts": """
            select account_id, count(*) as create_events, count(distinct region) as regions
            from stg_cloudtrail__events group by 1 order by 2 desc, 1""",
        "regions": """
            select region, count(*) as create_events, count(distinct account_id) as accounts
            from stg_cloudtrail__events group by 1 order by 2 desc, 1""",
    }),
    "resources": ((), {
        "heat": """
            select account_id, region, resource_type,
                   count(*) filter (where creator is not null) as with_creator, count(*) as resources
            from rc group by all order by account_id, region, resource_type""",
    }),
    "unseen_types": (("stg_resource_map__entries",), {
        "types": """
            select resource_type, string_agg(distinct event_name, ', ' order by event_name) as create_events
            from stg_resource_map__entries
            where resource_type not in (select resource_type from rc)
            group by 1 order by 1""",
    }),
    "creators": ((), {
        # the first link of the chain names how the person was found; none: the principal itself
        "via": """
            select coalesce(split_part(via, ':', 1), 'principal') as found_via,
                   count(*) as resources,
                   round(100.0 * count(*) / sum(count(*)) over (), 1) as share_pct
            from rc where creator is not null group by 1 order by 2 desc, 1""",
        "top": """
            with found as (
                select creator, coalesce(split_part(via, ':', 1), 'principal') as found_via, count(*) as n
                from rc where creator is not null group by 1, 2
            )
            select creator, sum(n)::bigint as resources,
                   string_agg(found_via || ' ' || n, ', ' order by n desc, found_via) as found_via
            from found group by 1 order by 2 desc, 1 limit 25""",
        "count": "select count(distinct creator) as creators from rc",
    }),
    "exclusions": ((), {
        # excluded: no creator tag; a link note: the chain gave nobody, the principal stays creator
        "by_type": """
            select coalesce(excluded_reason, link_note) as reason,
                   case when excluded_reason is not null then 'excluded' else 'principal kept' end as outcome,
                   resource_type, count(*) as resources
            from rc where excluded_reason is not null or link_note is not null
            group by all order by 4 desc, 1, 3""",
    }),
    "timeline": ((), {
        # per week over half a year or less, else per month; per type family (iam-role -> iam)
        "creates": """
            with span as (
                select case when date_diff('day', min(event_time), max(event_time)) > 183 then 'month' else 'week' end
                           as unit, min(event_time) as lo, max(event_time) as hi
                from rc
            ),
            families as (
                select split_part(resource_type, '-', 1) as family, count(*) as n,
                       row_number() over (order by count(*) desc, family) as k
                from rc group by 1
            ),
            periods as (
                select unit, unnest(generate_series(date_trunc(unit, lo), hi,
                                                    case unit when 'month' then interval 1 month
                                                              else interval 7 day end)) as period
                from span where lo is not null
            ),
            counted as (
                select date_trunc(span.unit, rc.event_time) as period,
                       case when families.k <= 9 then families.family else 'other' end as family, count(*) as n
                from rc, span, families where families.family = split_part(rc.resource_type, '-', 1)
                group by all
            )
            select periods.unit, strftime(periods.period, '%Y-%m-%d') as period, counted.family,
                   coalesce(counted.n, 0) as resources
            from periods left join counted using (period)
            order by periods.period, counted.family""",
    }),
}

# The audit table: one JSON document, built by DuckDB, column by column.  Columns with few
# distinct values (types, accounts, creators...) are a sorted list of values and one index
# per row; the event time is seconds since the epoch: 100,000 resources fit in a few MB.
DICT_COLUMNS = ("resource_type", "account_id", "region", "creator", "via_path", "excluded_reason")

AUDIT_SQL = (
    "with rows as (select *, row_number() over (order by account_id, region, resource_type, resource_id) as k"
    " from rc), coded as (select k, resource_id, event_id, epoch(event_time)::bigint as t, "
    + ", ".join(f"dense_rank() over (order by {c} nulls first) - 1 as c_{c}" for c in DICT_COLUMNS)
    + " from rows) select to_json({'rows': count(*), 'id': list(resource_id order by k), "
      "'event_id': list(event_id order by k), 't': list(t order by k), "
    + ", ".join(f"'{c}': {{'values': (select list(v order by v nulls first) from (select distinct {c} as v from rc)),"
                f" 'codes': list(c_{c} order by k)}}" for c in DICT_COLUMNS)
    + "})::varchar from coded"
)

# Tag plans: plans.py loads their rows into plan_rows, and plan_latest keeps for each resource
# the row of the last plan given that names it (a dry run, then the run itself).
PLAN_SQL = {
    "by_scope": """
        select account, region, resource_type,
               count(*) as population,
               count(*) filter (where action in ('has-tag', 'skipped:has-tag')) as already_tagged,
               count(*) filter (where action = 'would-tag') as would_tag,
               count(*) filter (where action = 'tag') as tagged,
               count(*) filter (where action = 'no-creator') as no_creator,
               count(*) filter (where action like 'excluded:%') as excluded,
               count(*) filter (where action like 'failed:%') as failed,
               count(*) filter (where action like 'skipped:%' and action <> 'skipped:has-tag') as skipped
        from plan_latest group by all order by account, region, resource_type""",
    "total": """
        select count(*) as population,
               count(*) filter (where action in ('has-tag', 'skipped:has-tag', 'tag', 'would-tag')) as will_carry,
               round(100.0 * count(*) filter (where action in ('has-tag', 'skipped:has-tag', 'tag', 'would-tag'))
                     / nullif(count(*), 0), 1) as share_pct,
               count(*) filter (where action like 'failed:%') as failed
        from plan_latest""",
    "failed": """
        select account, region, resource_type, resource_id, action from plan_latest
        where action like 'failed:%' order by all""",
}
