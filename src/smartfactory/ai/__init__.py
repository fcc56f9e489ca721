"""AI: demand forecasting (:mod:`.forecast`, :mod:`.series`, :mod:`.evaluate`) and production
planning (:mod:`.planning`).

Forecasting needs the ``forecast`` extra (statsforecast, holidays); it is imported on first use.
"""

from __future__ import annotations
