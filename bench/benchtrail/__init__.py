"""The benchmark trail generator, by concern: world.py (accounts, identities, rates), noise.py and
creates.py (what each kind of event says), records.py (one record as CloudTrail writes it),
layout.py (objects, keys, delivery, digests), expected.py (the creators trailcreator must find)."""
