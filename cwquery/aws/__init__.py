"""The AWS client layer: CloudWatch Logs through boto3, with the traps handled.

- :mod:`cwquery.aws.events`: search (``filter_events``, ``follow_events``), write
  (``put_events``, ``Logger``) and read (``read_stream``) log events;
- :mod:`cwquery.aws.handler`: ``LogHandler``, a ``logging.Handler`` over the batching writer;
- :mod:`cwquery.aws.client`: clients, calls, retries, creating groups and streams;
- :mod:`cwquery.aws.putlogs`: valid ``PutLogEvents`` batches;
- :mod:`cwquery.aws.shipper`: the crash-safe file shipper;
- :mod:`cwquery.aws.timeparse`: relative, ISO and epoch times.

Everything public in :mod:`cwquery.aws.events`, and ``LogHandler``, is importable from here.
"""

from cwquery.aws.events import *  # noqa: F403
from cwquery.aws.events import __all__ as _events_all
from cwquery.aws.handler import LogHandler

__all__ = [*_events_all, "LogHandler"]
