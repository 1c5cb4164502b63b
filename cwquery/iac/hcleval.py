"""Terraform expressions evaluated where their value can be known without deploying: literals,
``locals``, variable defaults, ``each``, ``for`` expressions, conditionals and the functions
that compute from their arguments alone (``merge``, ``lookup``, ``jsonencode``,
``yamldecode(file(…))``, ``fileset``…). Anything else is :class:`Unknown`, with the reason;
nothing is guessed.

A string that is written somewhere as it is (in a ``.tf`` file or in a YAML file a module
reads) is a :class:`Text`, which remembers where.

>>> from cwquery.iac.hclexpr import parse_expression
>>> scope = Scope()
>>> evaluate(parse_expression('merge({a = 1}, {b = "x"})', 0), scope)
{'a': 1, 'b': 'x'}
>>> evaluate(parse_expression('aws_s3_bucket.b.arn', 0), scope)
Unknown('aws_s3_bucket.b is known only after apply')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from cwquery.iac.hclexpr import (
    Attr,
    Call,
    Conditional,
    ForExpr,
    Index,
    Literal,
    Name,
    Node,
    ObjectCons,
    Operation,
    Template,
    TupleCons,
    Unsupported,
)
from cwquery.iac.hclfunctions import FUNCTIONS
from cwquery.iac.hclvalues import (
    EvalError,
    Scope,
    Text,
    Unknown,
    read_text_file,
    shown,
    to_string,
)

__all__ = ["EvalError", "Scope", "Text", "Unknown", "evaluate", "read_text_file", "shown"]


def evaluate(node: Node, scope: Scope) -> Any:
    """The value of ``node``, :class:`Unknown` when it cannot be known here. Raises
    :class:`EvalError` for what Terraform would reject."""
    kind = type(node)
    if kind is Literal:
        located = node.located  # type: ignore[attr-defined]
        value = node.value  # type: ignore[attr-defined]
        if isinstance(value, str) and located is not None and scope.source is not None:
            return Text(value, scope.source, located)
        return value
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Unknown(getattr(node, "reason", "this expression is not evaluated"))
    return handler(node, scope)


def _name(node: Name, scope: Scope) -> Any:
    if node.name in scope.names:
        return scope.names[node.name]
    return Unknown(f"{node.name} is not known here")


def _attr(node: Attr, scope: Scope) -> Any:
    target = node.target
    if isinstance(target, Name) and target.name not in scope.names:
        return scope.reference(target.name, node.name, node)
    return _get(evaluate(target, scope), node.name)


def _index(node: Index, scope: Scope) -> Any:
    target = node.target
    if isinstance(target, Name) and target.name not in scope.names:
        key = evaluate(node.key, scope)
        return Unknown(f"{target.name}[{shown(key)}] is known only after apply")
    return _get(evaluate(target, scope), evaluate(node.key, scope))


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return key
    if isinstance(value, dict):
        if str(key) not in value:
            raise EvalError(f"no key {shown(key)}")
        return value[str(key)]
    if isinstance(value, list):
        try:
            return value[int(key)]
        except (ValueError, IndexError, TypeError):
            raise EvalError(f"no element {shown(key)}") from None
    raise EvalError(f"cannot read {shown(key)} of {shown(value)}")


def _template(node: Template, scope: Scope) -> Any:
    pieces = []
    for part in node.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        value = evaluate(part, scope)
        if isinstance(value, Unknown):
            return value
        pieces.append(to_string(value))
    return "".join(pieces)


def _conditional(node: Conditional, scope: Scope) -> Any:
    test = evaluate(node.test, scope)
    if isinstance(test, Unknown):
        return test
    if not isinstance(test, bool):
        raise EvalError("a condition is not a boolean")
    return evaluate(node.yes if test else node.no, scope)


def _operation(node: Operation, scope: Scope) -> Any:
    if node.op in ("&&", "||"):
        left = evaluate(node.operands[0], scope)
        if isinstance(left, bool) and left == (node.op == "||"):
            return left
        right = evaluate(node.operands[1], scope)
        for value in (left, right):
            if isinstance(value, Unknown):
                return value
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise EvalError(f"{node.op} needs booleans")
        return right
    values = [evaluate(operand, scope) for operand in node.operands]
    for value in values:
        if isinstance(value, Unknown):
            return value
    if node.op == "!":
        if not isinstance(values[0], bool):
            raise EvalError("! needs a boolean")
        return not values[0]
    if node.op == "==":
        return values[0] == values[1]
    if node.op == "!=":
        return values[0] != values[1]
    numbers = [_as_number(value) for value in values]
    if len(numbers) == 1:
        return -numbers[0]
    left, right = numbers
    if node.op in ("<", ">", "<=", ">="):
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[
            node.op
        ]
    if node.op in ("/", "%") and right == 0:
        raise EvalError("division by zero")
    result = {
        "+": lambda: left + right,
        "-": lambda: left - right,
        "*": lambda: left * right,
        "/": lambda: left / right,
        "%": lambda: left % right,
    }[node.op]()
    return int(result) if float(result).is_integer() and abs(result) < 2**53 else result


def _as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EvalError(f"{shown(value)} is not a number")
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        raise EvalError(f"{shown(value)} is not a number") from None


def _tuple(node: TupleCons, scope: Scope) -> Any:
    items = [evaluate(item, scope) for item in node.items]
    return next((item for item in items if isinstance(item, Unknown)), items)


def _object(node: ObjectCons, scope: Scope) -> Any:
    result: dict[str, Any] = {}
    for key_node, value_node in node.items:
        key = evaluate(key_node, scope)
        if isinstance(key, Unknown):
            return key
        value = evaluate(value_node, scope)
        if isinstance(value, Unknown):
            return value
        result[to_string(key)] = value
    return result


def _for(node: ForExpr, scope: Scope) -> Any:
    collection = evaluate(node.collection, scope)
    if isinstance(collection, Unknown):
        return collection
    pairs: Iterator[tuple[Any, Any]]
    if isinstance(collection, dict):
        pairs = ((key, collection[key]) for key in sorted(collection))
    elif isinstance(collection, list):
        pairs = enumerate(collection)
    else:
        raise EvalError(f"cannot iterate over {shown(collection)}")
    result_list: list[Any] = []
    result_map: dict[str, Any] = {}
    for key, value in pairs:
        names = {node.value_var: value}
        if node.key_var is not None:
            names[node.key_var] = key
        inner = scope.bound(names)
        if node.condition is not None:
            keep = evaluate(node.condition, inner)
            if isinstance(keep, Unknown):
                return keep
            if not isinstance(keep, bool):
                raise EvalError("a for condition is not a boolean")
            if not keep:
                continue
        item = evaluate(node.value, inner)
        if isinstance(item, Unknown):
            return item
        if node.key is None:
            result_list.append(item)
            continue
        name = evaluate(node.key, inner)
        if isinstance(name, Unknown):
            return name
        name = to_string(name)
        if node.grouped:
            result_map.setdefault(name, []).append(item)
        elif name in result_map:
            raise EvalError(f"duplicate key {name!r} in a for expression")
        else:
            result_map[name] = item
    return result_list if node.key is None else result_map


def _call(node: Call, scope: Scope) -> Any:
    name = node.name
    if name in ("try", "can"):
        return _try(node, scope)
    function = FUNCTIONS.get(name)
    if function is None:
        return Unknown(f"{name}() is not evaluated")
    args = [evaluate(arg, scope) for arg in node.args]
    if node.expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            raise EvalError(f"{name}(…...) needs a list to expand")
        args += last
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
    try:
        return function(scope, *args)
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError):
        raise EvalError(f"wrong arguments to {name}()") from None


def _try(node: Call, scope: Scope) -> Any:
    for arg in node.args:
        try:
            value = evaluate(arg, scope)
        except EvalError:
            continue
        return True if node.name == "can" and not isinstance(value, Unknown) else value
    if node.name == "can":
        return False
    raise EvalError("no argument of try() can be evaluated")


_HANDLERS: dict[type, Callable[[Any, Scope], Any]] = {
    Name: _name,
    Attr: _attr,
    Index: _index,
    Template: _template,
    Conditional: _conditional,
    Operation: _operation,
    TupleCons: _tuple,
    ObjectCons: _object,
    ForExpr: _for,
    Call: _call,
    Unsupported: lambda node, scope: Unknown(node.reason),
}
