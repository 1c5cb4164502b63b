"""cwquery: write, check, test and run Amazon CloudWatch Logs filter patterns.

>>> import cwquery
>>> pattern = cwquery.parse('{ $.latency > 1000 && $.level = ERROR }')
>>> cwquery.render(pattern)
'{ $.latency > 1000 && $.level = "ERROR" }'
"""

from cwquery import ast
from cwquery.ast import Pattern
from cwquery.compiler import Matcher, compile, matches, test_metric_filter
from cwquery.errors import (
    CWQueryError,
    PatternError,
    PatternLimitError,
    PatternSyntaxError,
    RegexError,
    UnsupportedPatternError,
)
from cwquery.explanation import Explanation, explain
from cwquery.normalizer import equivalent, normalize
from cwquery.parser import parse
from cwquery.renderer import render

__version__ = "0.1.0"

__all__ = [
    "CWQueryError",
    "Explanation",
    "Matcher",
    "Pattern",
    "PatternError",
    "PatternLimitError",
    "PatternSyntaxError",
    "RegexError",
    "UnsupportedPatternError",
    "__version__",
    "ast",
    "compile",
    "equivalent",
    "explain",
    "matches",
    "normalize",
    "parse",
    "render",
    "test_metric_filter",
]
