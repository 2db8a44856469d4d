#!/usr/bin/env bash
# Set up, then load the sample trail shipped in examples/ (public CloudTrail records laid out
# as a trail: no AWS account needed) and show who created what.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
.venv/bin/trailcreator load --trail examples/sample-trail --db demo/creators.db
.venv/bin/trailcreator query --duckdb demo/creators.duckdb \
  "select account_id, region, resource_type, resource_id, creator, coalesce(excluded_reason, '') as excluded
   from resource_creators order by account_id, region, resource_type, resource_id"
