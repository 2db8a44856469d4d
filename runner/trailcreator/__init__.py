"""trailcreator: retroactive creator tagging for AWS from CloudTrail."""

__version__ = "0.1.0"
