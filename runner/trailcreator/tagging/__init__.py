"""Tagging: resources matched to their creators and tagged through Cloud Custodian, per account and region."""
