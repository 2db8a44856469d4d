"""Where the trail is and which of its objects to read.

A trail root (``s3://bucket/prefix`` or a local directory) holds the CloudTrail layout
``[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/*.json.gz``.
From the user's account, region, organization and date filters this module builds the
concrete prefixes to list, so nothing outside them is listed or read: ``CloudTrail-Digest``,
``CloudTrail-Insight`` and any other folder beside ``CloudTrail`` are never touched.

Knows nothing of Click, dbt or c7n.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Iterable

from ..aws import ACCOUNT_RE, REGION_RE, check_accounts
from ..errors import TrailcreatorError
from . import s3
from .s3 import BUCKET_RE

ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
LOG_SUFFIXES = (".json.gz", ".json")


@dataclass(frozen=True)
class TrailObject:
    """One object of the trail: ``url`` is what DuckDB opens (``s3://...`` or a local path)."""

    url: str
    size: int
    etag: str = ""


@dataclass(frozen=True)
class DateWindow:
    """Event days to load, both ends included.  Delivery folders are read one day past the
    end, because CloudTrail files an event under its delivery time, which can be the next day."""

    start: dt.date
    end: dt.date

    def delivery_days(self) -> list[dt.date]:
        days, day = [], self.start
        while day <= self.end + dt.timedelta(days=1):
            days.append(day)
            day += dt.timedelta(days=1)
        return days

    @property
    def event_time_from(self) -> str:
        return f"{self.start.isoformat()}T00:00:00Z"

    @property
    def event_time_before(self) -> str:
        return f"{(self.end + dt.timedelta(days=1)).isoformat()}T00:00:00Z"


@dataclass(frozen=True)
class TrailSpec:
    root: str
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    org_id: str | None = None
    window: DateWindow | None = None

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    @property
    def bucket(self) -> str:
        return self.root[len("s3://"):].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        """The key prefix inside the bucket, without leading or trailing slash."""
        rest = self.root[len("s3://"):].split("/", 1)
        return rest[1].strip("/") if len(rest) > 1 else ""


# --- parsing the user's filters ---------------------------------------------------------


def _parse_date(value: str, what: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise TrailcreatorError(f"{what} {value!r} is not a date: write it as YYYY-MM-DD or YYYY/MM/DD")


def parse_window(
    day: str | None = None,
    month: str | None = None,
    year: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> DateWindow | None:
    """The event-date window from upstream's ``--day/--month/--year`` or ``--start/--end``."""
    given = [n for n, v in (("--day", day), ("--month", month), ("--year", year)) if v]
    if start or end:
        given.append("--start/--end")
    if len(given) > 1:
        raise TrailcreatorError(f"give one date filter, not {' and '.join(given)}")
    if day:
        d = _parse_date(day, "--day")
        return DateWindow(d, d)
    if month:
        m = re.fullmatch(r"(\d{4})[/-](\d{1,2})", month)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise TrailcreatorError(f"--month {month!r} is not a month: write it as YYYY/MM")
        y, mo = int(m.group(1)), int(m.group(2))
        return DateWindow(dt.date(y, mo, 1), dt.date(y, mo, calendar.monthrange(y, mo)[1]))
    if year:
        if not re.fullmatch(r"\d{4}", year):
            raise TrailcreatorError(f"--year {year!r} is not a year: write it as YYYY")
        y = int(year)
        return DateWindow(dt.date(y, 1, 1), dt.date(y, 12, 31))
    if start or end:
        if not (start and end):
            raise TrailcreatorError("--start and --end go together: give both (YYYY-MM-DD)")
        s, e = _parse_date(start, "--start"), _parse_date(end, "--end")
        if e < s:
            raise TrailcreatorError(f"--end {end} is before --start {start}")
        return DateWindow(s, e)
    return None


def make_spec(
    root: str,
    accounts: Iterable[str] = (),
    regions: Iterable[str] = (),
    org_id: str | None = None,
    window: DateWindow | None = None,
) -> TrailSpec:
    """Validate the filters; a local root becomes an absolute path."""
    if not root:
        raise TrailcreatorError("no trail given: pass --trail s3://BUCKET[/PREFIX] or a local directory")
    accounts = tuple(a.strip() for a in accounts if a and a.strip())
    regions = tuple(r.strip() for r in regions if r and r.strip())
    check_accounts(accounts)
    for r in regions:
        if not REGION_RE.match(r):
            raise TrailcreatorError(f"--region {r!r} is not an AWS region name (like us-east-1)")
    if org_id and not ORG_RE.match(org_id):
        raise TrailcreatorError(f"--org-id {org_id!r} is not an organization id (like o-a1b2c3d4e5)")
    if root.startswith("s3://"):
        bucket = root[5:].split("/", 1)[0]
        if not BUCKET_RE.match(bucket):
            raise TrailcreatorError(f"--trail {root!r}: {bucket!r} is not a valid S3 bucket name")
    elif "://" in root:
        raise TrailcreatorError(f"--trail {root!r}: use s3://BUCKET[/PREFIX] or a local directory")
    else:
        if not os.path.isdir(root):
            raise TrailcreatorError(f"--trail {root!r} is not a directory (nor an s3:// URL)")
        root = os.path.abspath(root)
    return TrailSpec(root, accounts, regions, org_id or None, window)


# --- listing ----------------------------------------------------------------------------


class _Lister:
    """The two primitives listing needs: child folders of a prefix, and objects below one."""

    def entries(self, prefix: str) -> tuple[list[str], list[TrailObject]]:
        """Child folder names (without slashes) and the objects directly in ``prefix``."""
        raise NotImplementedError

    def children(self, prefix: str) -> list[str]:
        return self.entries(prefix)[0]

    def objects(self, prefix: str) -> list[TrailObject]:
        raise NotImplementedError

    def where(self, prefix: str) -> str:
        raise NotImplementedError


class _LocalLister(_Lister):
    def __init__(self, root: str):
        self.root = root

    def where(self, prefix: str) -> str:
        return os.path.join(self.root, prefix)

    def entries(self, prefix: str) -> tuple[list[str], list[TrailObject]]:
        try:
            found = sorted(os.scandir(os.path.join(self.root, prefix)), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return [], []
        return [e.name for e in found if e.is_dir()], [self._object(e.path) for e in found if e.is_file()]

    @staticmethod
    def _object(path: str) -> TrailObject:
        st = os.stat(path)
        return TrailObject(path, st.st_size, f"{st.st_size}-{st.st_mtime_ns}")

    def objects(self, prefix: str) -> list[TrailObject]:
        out = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(self.root, prefix)):
            dirnames.sort()
            for name in sorted(filenames):
                out.append(self._object(os.path.join(dirpath, name)))
        return out


class _S3Lister(_Lister):
    def __init__(self, client, bucket: str, base: str):
        self.client, self.bucket, self.base = client, bucket, base

    def _key(self, prefix: str) -> str:
        return f"{self.base}/{prefix}" if self.base else prefix

    def where(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{self._key(prefix)}"

    def _list(self, prefix: str, **kw) -> tuple[list[str], list[TrailObject]]:
        import botocore.exceptions

        key = self._key(prefix)
        folders, objects = [], []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key, **kw):
                folders += [cp["Prefix"][len(key):].strip("/") for cp in page.get("CommonPrefixes", [])]
                objects += [TrailObject(f"s3://{self.bucket}/{o['Key']}", o["Size"], o.get("ETag", "").strip('"'))
                            for o in page.get("Contents", [])]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise s3.listing_error(e, self.where(prefix)) from None
        return sorted(folders), objects

    def entries(self, prefix: str) -> tuple[list[str], list[TrailObject]]:
        return self._list(prefix, Delimiter="/")

    def objects(self, prefix: str) -> list[TrailObject]:
        return self._list(prefix)[1]


def region_prefixes(spec: TrailSpec, lister: _Lister, notes: list[str] | None = None) -> list[str]:
    """``AWSLogs/[o-org/]<account>/CloudTrail/<region>/`` for every account and region to read.

    Without ``--region`` every folder under ``CloudTrail/`` is read; one whose name cannot be
    a region is named in ``notes``, not read."""
    notes = notes if notes is not None else []
    account_roots: list[str] = []
    top = lister.children("AWSLogs/")
    if spec.org_id:
        parents = [f"AWSLogs/{spec.org_id}/"]
    else:
        # Both layouts may sit in one bucket: plain accounts, and organization folders.
        parents = ["AWSLogs/"] + [f"AWSLogs/{o}/" for o in top if ORG_RE.match(o)]
    for parent in parents:
        names = top if parent == "AWSLogs/" else lister.children(parent)
        found = [n for n in names if ACCOUNT_RE.match(n)]
        wanted = [a for a in found if a in spec.accounts] if spec.accounts else found
        account_roots += [f"{parent}{a}/CloudTrail/" for a in wanted]
    prefixes = []
    for acct_root in account_roots:
        for r in lister.children(acct_root):
            if spec.regions:
                if r in spec.regions:
                    prefixes.append(f"{acct_root}{r}/")
            elif REGION_RE.match(r):
                prefixes.append(f"{acct_root}{r}/")
            else:
                notes.append(f"not read: {lister.where(acct_root + r + '/')} (not a region name)")
    return prefixes


def _folders_to_list(spec: TrailSpec, lister: _Lister, region_prefix: str) -> tuple[list[str], list[TrailObject]]:
    """The folders to list below a region (the window's delivery days, else every month of
    every year found) and the objects that sit outside them, so none is missed."""
    if spec.window:
        return [f"{region_prefix}{d:%Y/%m/%d}/" for d in spec.window.delivery_days()], []
    years, stray = lister.entries(region_prefix)
    folders = []
    for y in years:
        months, more = lister.entries(f"{region_prefix}{y}/")
        folders += [f"{region_prefix}{y}/{m}/" for m in months]
        stray += more
    return folders, stray


def iter_objects(spec: TrailSpec, s3_client=None, threads: int = 16, notes: list[str] | None = None):
    """Every object below the prefixes to read, folder by folder, listed in parallel across
    account/region/day prefixes; nothing holds the whole trail's list.  Folders not read are
    named in ``notes``."""
    import concurrent.futures

    lister: _Lister = _S3Lister(s3_client, spec.bucket, spec.prefix) if spec.is_s3 else _LocalLister(spec.root)
    regions = region_prefixes(spec, lister, notes)
    with concurrent.futures.ThreadPoolExecutor(threads if spec.is_s3 else 1) as pool:
        folders: list[str] = []
        for fs, stray in pool.map(lambda r: _folders_to_list(spec, lister, r), regions):
            folders += fs
            yield from stray
        for objs in pool.map(lister.objects, folders):
            yield from objs


def is_log_file(obj: TrailObject) -> bool:
    return obj.url.endswith(LOG_SUFFIXES)


NOT_A_LOG_FILE = "not a CloudTrail log file (name does not end in .json.gz or .json)"
