"""The one exception of the transformer package (decision T16)."""

from __future__ import annotations

from cwquery.errors import CWQueryError

#: The stable error codes of T16.
LIMIT = "limit"
ORDER = "order"
SYNTAX = "syntax"
UNSUPPORTED = "unsupported"
MISSING = "missing"


class TransformerError(CWQueryError, ValueError):
    """A transformer configuration PutTransformer would reject, or a processor cwquery does not
    emulate.

    Attributes:
        code: ``limit``, ``order``, ``syntax``, ``unsupported`` or ``missing``.
        processor: 0-based index of the offending processor, ``None`` for the list as a whole.
        message: one line saying what is wrong.
        service_exception: the AWS exception name (``InvalidParameterException``).
    """

    service_exception = "InvalidParameterException"

    def __init__(self, code: str, message: str, processor: int | None = None) -> None:
        self.code = code
        self.message = message
        self.processor = processor
        where = "" if processor is None else f"processor {processor}: "
        super().__init__(f"{where}{message}")

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description."""
        return {
            "code": self.code,
            "message": self.message,
            "processor": self.processor,
            "serviceException": self.service_exception,
        }
