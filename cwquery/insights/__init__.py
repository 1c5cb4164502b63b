"""CloudWatch Logs Insights queries: the language's grammar, typed tree, parser with the
service's errors, canonical renderer, and ``run``, the evaluator (docs/insights.md; spec:
insights-spec.md).

>>> from cwquery.insights import parse, render
>>> query = parse("filter @message like /ERROR/ | stats count(*) as n by bin(1h)")
>>> [type(command).__name__ for command in query.commands]
['Filter', 'Stats']
>>> render(query)
'filter @message like /ERROR/ | stats count(*) as n by bin(1h)'
"""

from __future__ import annotations

from cwquery.insights.engine import run
from cwquery.insights.errors import InsightsQueryError, QueryError, QueryUnsupportedError
from cwquery.insights.parser import parse
from cwquery.insights.render import render
from cwquery.insights.translate import Translation, to_insights
from cwquery.insights.tree import Query, walk

__all__ = [
    "InsightsQueryError",
    "Query",
    "QueryError",
    "QueryUnsupportedError",
    "Translation",
    "parse",
    "render",
    "run",
    "to_insights",
    "walk",
]
