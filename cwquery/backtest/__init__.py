"""Backtest metric filters and alarms over past log events: the datapoints CloudWatch would
have published and the alarm states it would have set (``docs/backtest.md``).

Modules: ``series`` (minute storage, statistics), ``alarms`` (evaluation, replay), ``engine``
(events to series, the local engine), ``inputs`` (files with times), ``run`` (the whole job),
``render`` and ``chart`` (output).
"""

from cwquery.backtest.alarms import Alarm, AlarmError, EvaluationOptions, Transition
from cwquery.backtest.engine import Collected, MetricKey, PublishOptions, Row, collect
from cwquery.backtest.run import Result, backtest, finish

__all__ = [
    "Alarm",
    "AlarmError",
    "Collected",
    "EvaluationOptions",
    "MetricKey",
    "PublishOptions",
    "Result",
    "Row",
    "Transition",
    "backtest",
    "collect",
    "finish",
]
