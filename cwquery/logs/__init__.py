"""The readers of log lines and messages: every way cwquery reads events applies a compiled
:class:`~cwquery.plan.Plan` and never re-derives a rule of the language.

- :mod:`~cwquery.logs.lines`: what ends a line and what a blank line is (the one rule);
- :mod:`~cwquery.logs.sources`: events from files, streams, exports, S3 exports and gzip;
- :mod:`~cwquery.logs.blocks`: matching a block of lines from bytes, on the plan's facts;
- :mod:`~cwquery.logs.workers` and :mod:`~cwquery.logs.parallel`: files on several processes.

The sub-modules are imported by name (``from cwquery.logs.blocks import BlockScanner``); this
package imports none of them, so each layer loads only what it uses.
"""
