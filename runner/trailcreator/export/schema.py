"""The SQLite file trailcreator writes (``--db``) and the tagger reads.

``events`` keeps the upstream c7n-trailcreator layout exactly, so its tagger can read our
file; ``resource_creators`` is the clean table, one row per resource.
"""

from ..attribution import CREATOR_FORMATS

# --creator-format -> the resource_creators column holding the tag value in that format.
CREATOR_COLUMNS = {fmt: "creator_" + fmt.replace("-", "_") for fmt in CREATOR_FORMATS}

EVENTS_DDL = """
create table events (
    account_id varchar(16),
    region varchar(16),
    event_date datetime,
    event_name varchar(128),
    event_source varchar(128),
    user_agent varchar(128),
    client_ip varchar(32),
    user_id varchar(128),
    rtype varchar(42),
    resource_ids varchar(256)
)
"""

# Column order of resource_creators; the export writes exactly these.
RESOURCE_CREATORS_COLUMNS = (
    ("account_id", "text not null"),
    ("region", "text not null"),           # awsRegion of the create event
    ("resource_type", "text not null"),    # Cloud Custodian resource type, e.g. "iam-role"
    ("resource_id", "text not null"),      # as the resource map's ids expression yields it
    ("is_global", "integer not null"),     # 1: global service (IAM, ...): tag once per account
    ("creator", "text"),                   # tag value (the load's --creator-format, cleaned); null when excluded
    ("creator_raw", "text"),               # the same before cleaning
    ("excluded_reason", "text"),           # aws-service | service-linked-role | instance-profile | no-identity
    # The tag value in every format (cleaned like creator; null when excluded): the tagger reads
    # the one its --creator-format names instead of recomputing the rules (macros/creators.sql).
    *((column, "text") for column in CREATOR_COLUMNS.values()),
    ("identity_type", "text"),
    ("principal_arn", "text"),
    ("principal_id", "text"),
    ("user_name", "text"),
    ("session_name", "text"),
    ("session_issuer_arn", "text"),
    ("session_issuer_name", "text"),
    ("on_behalf_of_user_id", "text"),
    ("invoked_by", "text"),
    ("access_key_id", "text"),
    ("event_time", "text not null"),       # ISO 8601 UTC, e.g. 2019-02-01T10:00:00Z
    ("event_name", "text not null"),
    ("event_source", "text not null"),
    ("event_id", "text"),
    ("user_agent", "text"),
    ("source_ip", "text"),
    # How the person behind an automation identity was found (README: How a creator is found);
    # the identity columns above stay the direct principal's.
    ("source_identity", "text"),           # userIdentity.sessionContext.sourceIdentity
    ("via", "text"),                       # null: the creator is the principal itself
    ("via_path", "text"),                  # every link followed, ' > ' between them
    ("link_hops", "integer"),
    ("link_note", "text"),                 # cycle | too-many-hops | no-person: a chain that gave nothing
    ("person_event_id", "text"),           # the event the person was found in
    ("person_identity_type", "text"),      # the person's identity fields, the creator's source
    ("person_principal_arn", "text"),
    ("person_principal_id", "text"),
    ("person_user_name", "text"),
    ("person_session_name", "text"),
    ("person_session_issuer_arn", "text"),
    ("person_session_issuer_name", "text"),
    ("person_on_behalf_of_user_id", "text"),
    ("person_invoked_by", "text"),
)

RESOURCE_CREATORS_DDL = (
    "create table resource_creators (\n    "
    + ",\n    ".join(f"{name} {decl}" for name, decl in RESOURCE_CREATORS_COLUMNS)
    + ",\n    primary key (account_id, region, resource_type, resource_id)\n)"
)
