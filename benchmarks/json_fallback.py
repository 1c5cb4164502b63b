"""In-process cost of reading a message orjson refuses: ``cwquery.semantics.load_json_event`` on
common malformed messages that begin with ``{`` (cut short, trailing text, a trailing comma,
single quotes, a bare word), and on one with a lone surrogate the standard library still reads.

Best of ``--rounds``, microseconds per message.

    python benchmarks/json_fallback.py [--number 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import timeit

from cwquery.semantics import load_json_event

MESSAGES = {
    "cut short": '{"level": "ERROR", "latency": 120, "msg": "upstream tim',
    "trailing text": '{"level": "ERROR", "latency": 120} (retried)',
    "trailing comma": '{"level": "ERROR", "latency": 120,}',
    "single quotes": "{'level': 'ERROR', 'latency': 120}",
    "bare word": "{ connection reset by peer }",
    "lone surrogate": '{"level": "ERROR", "msg": "\\ud800"}',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name, message in MESSAGES.items():

        def read(text: str = message) -> object:
            return load_json_event(text)

        best = min(timeit.repeat(read, number=args.number, repeat=args.rounds))
        print(f"{name:16} {best / args.number * 1e6:7.2f} µs")


if __name__ == "__main__":
    main()
