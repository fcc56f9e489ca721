"""The programme side: support programmes for smart factories and what they achieved.

An agency's server, separate from any factory: its own DuckDB file (:mod:`.schema`), the
registry of companies, suppliers, operators, programmes and projects (:mod:`.registry`), the
funding rules as data per year and track (:mod:`.rules`, ``rules.toml``), the project life
cycle that checks them (:mod:`.lifecycle`), maturity assessment (:mod:`.assessment`),
performance measured from data (:mod:`.performance`), federation of signed KPI summaries
without raw data (:mod:`.federation`, :mod:`.server`), roll-ups (:mod:`.rollup`), impact
estimates (:mod:`.impact`), reports (:mod:`.report`) and demo data (:mod:`.demo`).
"""
