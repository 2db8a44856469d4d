"""The benchmark trail generator, split by concern: records.py (what a record says), layout.py
(objects, keys, delivery, digests), expected.py (the creators trailcreator must find)."""
