"""IAM Identity Center users by name: ``identitystore:DescribeUser``, one call per user.

A create made by an Identity Center user (``userIdentity.type`` ``IdentityCenterUser``)
names the person only by ``onBehalfOf.userId``, an opaque id.  With ``--identity-store`` the
tagger asks the Identity Store for that user's ``UserName`` and writes the name instead.
Each user is asked once per store and run (every account and region of ``tag-org`` share
the answers).  A user the store no longer has keeps the id as creator, counted and named
once in the log.  Access to the store is checked before anything is tagged.
"""

from __future__ import annotations

import logging
import re
import threading

import botocore.exceptions

from ..errors import TrailcreatorError

log = logging.getLogger("trailcreator")

_STORE_ID = re.compile(r"^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_STORE_ARN = re.compile(r"^arn:aws[a-z-]*:identitystore::\d{12}:identitystore/(?P<id>[^/]+)$")


def store_id(value: str) -> str:
    """The Identity Store id from ``d-1234567890`` or its ARN (as CloudTrail's
    ``onBehalfOf.identityStoreArn`` gives it); a TrailcreatorError for anything else."""
    m = _STORE_ARN.match(value)
    sid = m.group("id") if m else value
    if not _STORE_ID.match(sid):
        raise TrailcreatorError(f"--identity-store {value}: not an Identity Store id (d-1234567890) or its ARN "
                                f"(arn:aws:identitystore::123456789012:identitystore/d-1234567890)")
    return sid


class IdentityStoreNames:
    """``names(user_id)`` -> the user's ``UserName``, or None when the store has no such user."""

    def __init__(self, session, store: str, region: str):
        self.store = store_id(store)
        self.region = region
        self._client = session.client("identitystore", region_name=region)
        self._names: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self.calls = 0

    def check(self) -> None:
        """One cheap call, so a wrong store, region or missing permission stops the run
        before the first tag rather than in the middle of it."""
        try:
            self._client.list_users(IdentityStoreId=self.store, MaxResults=1)
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            raise TrailcreatorError(
                f"--identity-store {self.store} (region {self.region}): {err.get('Code', 'error')}: "
                f"{err.get('Message', '')}".rstrip(": ")
            ) from None
        except botocore.exceptions.BotoCoreError as e:
            raise TrailcreatorError(f"--identity-store {self.store} (region {self.region}): {e}") from None

    def __call__(self, user_id: str) -> str | None:
        with self._lock:
            if user_id in self._names:
                return self._names[user_id]
            name = self._describe(user_id)
            self._names[user_id] = name
            return name

    def _describe(self, user_id: str) -> str | None:
        self.calls += 1
        try:
            return self._client.describe_user(IdentityStoreId=self.store, UserId=user_id).get("UserName") or None
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code not in ("ResourceNotFoundException", "ValidationException"):
                raise TrailcreatorError(f"--identity-store {self.store}: DescribeUser {user_id}: {code}") from None
            log.warning("identity store %s has no user %s (%s): the creator stays the user id",
                        self.store, user_id, code)
            return None

    @property
    def unresolved(self) -> list[str]:
        return sorted(u for u, n in self._names.items() if n is None)
