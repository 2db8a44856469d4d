"""What Athena would hold, for tests: the CloudTrail table's Glue definition (as the Athena
user guide creates it), and a hand-written result for the few tests a real engine cannot serve.

``load-athena``'s query runs on the test Trino (``athena_front``, ``athena_trino_table``).
``engine`` remains for what an engine does not do on cue: a query moto's state manager keeps
QUEUED then RUNNING for a set number of looks, and the Athena target's tables that
``export-athena`` reads (built by dbt on Athena, not here).  It writes the given rows to the
query's output location in Athena's CSV format (``athena_front.csv_text``).
"""

from __future__ import annotations

import json
import os

import pytest

from athena_front import csv_text

# The documented CloudTrail table (Athena user guide, partition projection), as Glue stores it.
USERIDENTITY = (
    "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,"
    "username:string,onbehalfof:struct<userid:string,identitystorearn:string>,"
    "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,"
    "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,"
    "ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>"
)
# The field the source-identity link reads, which users add to the guide's table (README).
USERIDENTITY_WITH_SOURCE = USERIDENTITY.replace("sessioncontext:struct<", "sessioncontext:struct<sourceidentity:string,")
COLUMNS = [
    ("eventversion", "string"), ("useridentity", USERIDENTITY), ("eventtime", "string"), ("eventsource", "string"),
    ("eventname", "string"), ("awsregion", "string"), ("sourceipaddress", "string"), ("useragent", "string"),
    ("errorcode", "string"), ("errormessage", "string"), ("requestparameters", "string"),
    ("responseelements", "string"), ("additionaleventdata", "string"), ("requestid", "string"),
    ("eventid", "string"), ("readonly", "string"), ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"), ("apiversion", "string"), ("recipientaccountid", "string"),
    ("serviceeventdetails", "string"), ("sharedeventid", "string"), ("vpcendpointid", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
]

# The header trailcreator's query writes (trailcreator.ingest.athena_result.RESULT_COLUMNS), spelled out
# here so a change of the contract breaks a test.
RESULT_HEADER = [
    "eventversion", "eventid", "eventtime", "eventsource", "eventname", "awsregion", "recipientaccountid",
    "useragent", "sourceipaddress", "errorcode",
    "identity_type", "identity_principalid", "identity_arn", "identity_accountid", "identity_invokedby",
    "identity_accesskeyid", "identity_username", "identity_issuer_arn", "identity_issuer_username",
    "identity_onbehalfof_userid", "identity_sourceidentity",
    "requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails", "resources",
]


def create_table(glue, database: str, table: str, partitions: str = "projection", location: str = "s3://trail/AWSLogs/",
                 source_identity: bool = False):
    """partitions: 'projection' (timestamp yyyy/MM/dd), 'ymd' (region/year/month/day), or 'none'."""
    columns = [(n, USERIDENTITY_WITH_SOURCE if n == "useridentity" and source_identity else t) for n, t in COLUMNS]
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except glue.exceptions.AlreadyExistsException:
        pass
    params = {"classification": "cloudtrail", "EXTERNAL": "TRUE"}
    keys = []
    if partitions == "projection":
        keys = [{"Name": "timestamp", "Type": "string"}]
        params.update({
            "projection.enabled": "true",
            "projection.timestamp.type": "date",
            "projection.timestamp.format": "yyyy/MM/dd",
            "projection.timestamp.range": "2019/01/01,NOW",
            "projection.timestamp.interval": "1",
            "projection.timestamp.interval.unit": "DAYS",
            "storage.location.template": location + "${timestamp}",
        })
    elif partitions == "ymd":
        keys = [{"Name": n, "Type": "string"} for n in ("region", "year", "month", "day")]
    try:
        glue.delete_table(DatabaseName=database, Name=table)
    except glue.exceptions.EntityNotFoundException:
        pass
    glue.create_table(DatabaseName=database, TableInput={
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in columns],
            "Location": location,
            "InputFormat": "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hive.hcatalog.data.JsonSerDe"},
        },
        "PartitionKeys": keys,
        "Parameters": params,
    })


def write_result(s3, output_location: str, rows: list[list[str | None]], header: list[str] | None = None) -> str:
    bucket, _, key = output_location[len("s3://"):].partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=csv_text(header or RESULT_HEADER, rows).encode())
    s3.put_object(Bucket=bucket, Key=key + ".metadata", Body=b"\x00")  # Athena writes one beside it; never read
    return output_location


# --- fixtures (import them into a test module) ---------------------------------------------------


class Engine:
    """Plays Athena's engine: when the runner starts a query, writes ``rows`` as its result."""

    def __init__(self, aws):
        self.rows: list[list[str | None]] = []
        self.header: list[str] | None = None
        self.by_text: dict[str, tuple[list[str], list[list[str | None]]]] = {}  # query text contains key -> result
        self.queries: list[dict] = []  # what moto received: id, text, database, workgroup, output
        self.athena = aws.client("athena", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        self.s3 = aws.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])

    def run(self, qid: str) -> None:
        ex = self.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        out = (ex.get("ResultConfiguration") or {}).get("OutputLocation")
        if not out:  # an enforcing workgroup: its own location, as Athena reports it
            wg = self.athena.get_work_group(WorkGroup=ex["WorkGroup"])["WorkGroup"]
            out = wg["Configuration"]["ResultConfiguration"]["OutputLocation"].rstrip("/") + f"/{qid}.csv"
        self.queries.append({"id": qid, "sql": ex["Query"], "database": (ex.get("QueryExecutionContext") or {}).get("Database"),
                             "workgroup": ex["WorkGroup"], "output": out,
                             "sent_output": (ex.get("ResultConfiguration") or {}).get("OutputLocation")})
        header, rows = next(((h, r) for key, (h, r) in self.by_text.items() if key in ex["Query"]),
                            (self.header, self.rows))
        write_result(self.s3, out, rows, header)


@pytest.fixture
def engine(aws_env, monkeypatch):
    from trailcreator.athena import client

    eng = Engine(aws_env)
    real = client.start_query

    def start_query(*args, **kwargs):
        qid = real(*args, **kwargs)
        eng.run(qid)
        return qid

    monkeypatch.setattr(client, "start_query", start_query)
    monkeypatch.setattr(client, "POLL_FIRST_DELAY", 0.01)
    return eng


@pytest.fixture
def glue(aws_env):
    return aws_env.client("glue", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def bucket(s3, name):
    try:
        s3.create_bucket(Bucket=name)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def small_map(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"resources": [
        {"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": "requestParameters.bucketName"}]},
    ]}))
    return path
