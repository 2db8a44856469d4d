"""What a person reads: the report page (``page.py``, from SQL over the models in ``sql.py``
and the tag plans in ``plans.py``) and ``trailcreator query``'s output (``query.py``)."""
