"""A Terraform ``count`` too large to expand, however it is written: the scan does not make
its instances and reports the site as computed, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cwquery.iac.scan import scan_paths

_FILTER = (
    'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
    "  count = COUNT\n"
    '  filter_pattern = "{ $.a = ${count.index} }"\n'
    "}\n"
)


@pytest.mark.parametrize("count", ["1e9", "1000000000", "10001", "5 * 2001", "1e400"])
def test_a_count_above_the_limit_is_not_expanded(tmp_path: Path, count: str) -> None:
    (tmp_path / "main.tf").write_text(_FILTER.replace("COUNT", count))
    (site,) = scan_paths([str(tmp_path)]).sites
    assert site.text is None
    assert "count is above 10000: its instances are not expanded" in (site.unresolved or "")


def test_a_small_count_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_FILTER.replace("COUNT", "3"))
    sites = scan_paths([str(tmp_path)]).sites
    assert [s.text for s in sites] == ["{ $.a = 0 }", "{ $.a = 1 }", "{ $.a = 2 }"]


@pytest.mark.parametrize("count", ["1e400 - 1e400", "1.5", "-1"])
def test_a_count_that_is_not_a_whole_number_is_not_expanded(tmp_path: Path, count: str) -> None:
    (tmp_path / "main.tf").write_text(_FILTER.replace("COUNT", count))
    (site,) = scan_paths([str(tmp_path)]).sites
    assert site.text is None and "count is not a whole number" in (site.unresolved or "")
