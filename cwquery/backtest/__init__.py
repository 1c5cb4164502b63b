"""Backtest metric filters and alarms over past log events: the datapoints CloudWatch would
have published and the alarm states it would have set (``docs/backtest.md``)."""
