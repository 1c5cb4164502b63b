"""A bounded fuzz of the command line: whatever the arguments and input, an answer (exit 0, 1
or 2) and never a traceback or an internal error."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import patterns

from cwquery.cli import main
from cwquery.renderer import render

#: Pieces that pattern text is made of, valid or broken, so fuzzed text reaches the parser's
#: deeper rules instead of failing on the first character.
_PIECES = st.sampled_from(
    ["{", "}", "[", "]", "(", ")", "$.", "a", "=", "!=", ">", "1", "1e9", '"', "*", "%",
     "&&", "||", "?", "-", "...", ",", " ", "IS", "NOT", "EXISTS", "NULL", "TRUE", "\\",
     "\n", "é", "\x00", "$.a[0]", "$.*", "%a|b%", "\ud7ff"]
)  # fmt: skip
fuzzed_text = st.one_of(
    st.lists(_PIECES, max_size=12).map("".join),
    st.text(max_size=30),
    patterns.map(render),
)
messages = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(['{"a": 1}', '{"events": [{"message": "x"}]}', "[1, 2", '["x"]', "{}"]),
)
COMMANDS = st.sampled_from(
    [
        ["test"],
        ["test", "--count", "--invert"],
        ["test", "--json"],
        ["test", "--explain"],
        ["test", "--input-format", "export"],
        ["test", "--input-format", "s3-export"],
        ["fmt"],
        ["check", "-e"],
        ["equal", "ERROR"],
    ]
)
FUZZ_CASES = 150


@settings(
    max_examples=FUZZ_CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(command=COMMANDS, pattern=fuzzed_text, lines=st.lists(messages, max_size=5))
def test_every_input_gets_an_answer(command: list[str], pattern: str, lines: list[str]) -> None:
    stdin = "\n".join(lines).encode("utf-8", "surrogatepass")
    result = CliRunner().invoke(main, [*command, pattern], input=stdin)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
