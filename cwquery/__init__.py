"""cwquery: write, check, test and run Amazon CloudWatch Logs filter patterns.

>>> import cwquery
>>> pattern = cwquery.parse('{ $.latency > 1000 && $.level = ERROR }')
>>> cwquery.render(pattern)
'{ $.latency > 1000 && $.level = "ERROR" }'

The public names are imported on first use, so ``import cwquery`` (and ``cwquery --version``)
loads no parser, evaluator or client until one is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_EXPORTS = {
    "CWQueryError": "cwquery.errors",
    "PatternError": "cwquery.errors",
    "PatternLimitError": "cwquery.errors",
    "PatternSyntaxError": "cwquery.errors",
    "RegexError": "cwquery.errors",
    "UnsupportedPatternError": "cwquery.errors",
    "Pattern": "cwquery.ast",
    "Matcher": "cwquery.compiler",
    "compile": "cwquery.compiler",
    "Coverage": "cwquery.coverage",
    "covers": "cwquery.coverage",
    "matches": "cwquery.compiler",
    "test_metric_filter": "cwquery.compiler",
    "Explanation": "cwquery.explanation",
    "explain": "cwquery.explanation",
    "equivalent": "cwquery.normalizer",
    "normalize": "cwquery.normalizer",
    "parse": "cwquery.parser",
    "Plan": "cwquery.plan",
    "plan_for": "cwquery.plan",
    "render": "cwquery.renderer",
}

if TYPE_CHECKING:
    from cwquery import ast
    from cwquery.ast import Pattern
    from cwquery.compiler import Matcher, compile, matches, test_metric_filter
    from cwquery.coverage import Coverage, covers
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
    from cwquery.plan import Plan, plan_for
    from cwquery.renderer import render


def __getattr__(name: str) -> Any:
    if name == "ast":
        return importlib.import_module("cwquery.ast")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cwquery' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, "ast"])


__all__ = [
    "CWQueryError",
    "Coverage",
    "Explanation",
    "Matcher",
    "Pattern",
    "PatternError",
    "PatternLimitError",
    "PatternSyntaxError",
    "Plan",
    "RegexError",
    "UnsupportedPatternError",
    "__version__",
    "ast",
    "compile",
    "covers",
    "equivalent",
    "explain",
    "matches",
    "normalize",
    "parse",
    "plan_for",
    "render",
    "test_metric_filter",
]
