"""The one error type the command layer turns into a one-line message and a non-zero exit."""


class TrailcreatorError(Exception):
    """A problem the user can fix: the message names the file, key or value and what to do."""
