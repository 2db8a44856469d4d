#!/usr/bin/env bash
# Set up, then load the sample trail shipped in examples/ (public CloudTrail records laid out
# as a trail: no AWS account needed), show who created what, and write the report page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
.venv/bin/trailcreator load --trail examples/sample-trail --db demo/creators.db
.venv/bin/trailcreator query --duckdb demo/creators.duckdb \
  "select account_id, region, resource_type, resource_id, creator, coalesce(excluded_reason, '') as excluded
   from resource_creators order by account_id, region, resource_type, resource_id"
.venv/bin/trailcreator report --duckdb demo/creators.duckdb -o demo/report.html
echo "The report: $(pwd)/demo/report.html (one self-contained page: open it in a browser)"
