"""Keep credentials out of every line we print or write.

The tagger never formats credentials or the environment into a message (upstream logged
``dict(os.environ)`` on any error).  This module is the second line of defence: anything
that looks like an AWS access key id, and the exact values of the credential variables in
the environment, are masked in log records and error messages before they reach a stream.
"""

from __future__ import annotations

import logging
import os
import re

# AWS access key ids: AKIA (long-term) or ASIA (session) + 16 characters.  Principal ids
# (AIDA..., AROA...) look alike but are not secrets and appear in creator values.
_ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")

_SECRET_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_BEARER_TOKEN",
)
MASK = "****"


def _secret_values() -> list[str]:
    values = []
    for name in _SECRET_ENV:
        v = os.environ.get(name)
        # very short values (e.g. "testing") would mask ordinary words; a real key never is.
        if v and len(v) >= 8:
            values.append(v)
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with credential values and access key ids masked."""
    if not text:
        return text
    for value in _secret_values():
        if value in text:
            text = text.replace(value, MASK)
    return _ACCESS_KEY_ID.sub(lambda m: m.group(1) + MASK, text)


class RedactingFilter(logging.Filter):
    """A handler filter that renders the record once and masks credentials in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # tracebacks are rendered by the formatter: pre-render and mask them too.
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
            record.msg = record.msg + "\n" + redact(formatted)
        return True
