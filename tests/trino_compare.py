"""``resource_creators`` of a Trino build against a DuckDB load's, row by row, where the
columns mean the same: the tests' comparison (test_trino_models) and the bench's
(bench/trino_bench.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

# Columns whose values are not the same thing on both engines: a record without an eventID is
# named by a digest of the record, which each engine spells from its own record form.
ENGINE_NAMED = {"event_id", "person_event_id"}


def normal(value):
    """One spelling for both engines: Trino's protocol gives timestamps as text (milliseconds)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return value


def key(row) -> tuple:
    return row["account_id"], row["region"], row["resource_type"], row["resource_id"]


def compare(duck_rows, trino_rows, scenario_of=None) -> tuple[Counter, Counter, list[str]]:
    """(rows compared, rows equal) per scenario (``scenario_of``: event id -> scenario; None:
    one group, ``all``), and a line per difference."""
    duck = {key(r): r for r in duck_rows}
    trino = {key(r): r for r in trino_rows}
    compared, matched, diffs = Counter(), Counter(), []
    for k in sorted(set(duck) | set(trino), key=str):
        d, t = duck.get(k), trino.get(k)
        scenario = scenario_of.get((d or t)["event_id"], "?") if scenario_of is not None else "all"
        compared[scenario] += 1
        if d is None or t is None:
            diffs.append(f"{scenario} {k}: only on {'Trino' if d is None else 'DuckDB'}")
            continue
        assert set(d) == set(t), set(d) ^ set(t)
        bad = [c for c in d if normal(d[c]) != normal(t[c])
               and not (c in ENGINE_NAMED and all(str(v).startswith("no-event-id:") for v in (d[c], t[c])))]
        if bad:
            diffs.append(f"{scenario} {k}: " + ", ".join(f"{c}: DuckDB {d[c]!r} Trino {t[c]!r}" for c in bad))
        else:
            matched[scenario] += 1
    return compared, matched, diffs


def report(title, compared, matched):
    print(f"\n{title}: (scenario, row) comparisons on Trino")
    for s in sorted(compared):
        print(f"  {s:12} {compared[s]:5} compared {matched[s]:5} equal")
    print(f"  {'all':12} {sum(compared.values()):5} compared {sum(matched.values()):5} equal")
