"""CloudWatch Logs transformers, offline: ``validate`` checks a configuration as PutTransformer
does, ``test_transformer`` answers as TestTransformer does, and :class:`Transformer` turns one
message into the event metric and subscription filters see with ``applyOnTransformedLogs``
(spec §1, §2; decisions T1-T22; docs/transformers.md).

>>> response = test_transformer([{"grok": {"match": "%{WORD:verb} %{INT:code}"}}], ["PUT 201"])
>>> response["transformedLogs"][0]["transformedEventMessage"]
'{"verb":"PUT","code":"201"}'
>>> try:
...     validate([{"renameKeys": {"entries": [{"key": "a", "renameTo": "b"}]}}])
... except TransformerError as err:
...     print(err.code, err.processor, err.message)
order 0 the first processor must be a parser, not renameKeys
"""

from __future__ import annotations

from cwquery.transformers.errors import TransformerError
from cwquery.transformers.runner import Transformer, seen_by_filter, test_transformer
from cwquery.transformers.validation import validate

__all__ = ["Transformer", "TransformerError", "seen_by_filter", "test_transformer", "validate"]
