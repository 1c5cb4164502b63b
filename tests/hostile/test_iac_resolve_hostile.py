"""Resolving Terraform and CloudFormation values on hostile input: files that never end or are
not files, expressions nested past any stack, modules that call themselves, references in a
loop. The scan finishes and reports such values as computed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cwquery.iac.scan import scan_paths, scan_text
from cwquery.iac.sites import PatternSite


def one(tmp_path: Path, expression: str, extra: str = "") -> PatternSite:
    (tmp_path / "main.tf").write_text(
        extra + 'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
        f"  filter_pattern = {expression}\n}}\n"
    )
    sites = [s for s in scan_paths([str(tmp_path)]).sites if not s.name.startswith("module.")]
    (site,) = sites
    return site


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_file_of_a_device_is_not_read(tmp_path: Path) -> None:
    site = one(tmp_path, 'file("/dev/zero")')
    assert site.text is None and "/dev/zero" in (site.unresolved or "")


def test_files_outside_the_repository_are_not_read(tmp_path: Path) -> None:
    """A scanned checkout must not make cwquery print files of the machine it runs on."""
    (tmp_path / "secret.txt").write_text("ERROR secret")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "link.txt").symlink_to(tmp_path / "secret.txt")
    inside = tmp_path / "repo" / "envs"
    inside.mkdir()
    for expression in (
        'file("${path.module}/../../secret.txt")',
        f'file("{tmp_path / "secret.txt"}")',
        'file("${path.module}/../link.txt")',
        'join(",", fileset("${path.module}/../..", "*.txt"))',
    ):
        site = one(inside, expression)
        assert site.text is None and "outside the repository" in (site.unresolved or "")
    (tmp_path / "repo" / "ok.txt").write_text("ERROR ok")
    assert one(inside, 'file("${path.module}/../ok.txt")').text == "ERROR ok"


def test_file_of_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    site = one(tmp_path, 'file("${path.module}/pipe")')
    assert site.text is None and "not a regular file" in (site.unresolved or "")


def test_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * ((1 << 20) + 1))
    site = one(tmp_path, 'file("${path.module}/big.txt")')
    assert site.text is None and "at most 1 MiB" in (site.unresolved or "")


def test_expression_nested_past_the_stack(tmp_path: Path) -> None:
    deep = "(" * 5000 + '"x"' + ")" * 5000
    site = one(tmp_path, deep)
    assert site.text is None and "nested too deeply" in (site.unresolved or "")


def test_locals_in_a_loop(tmp_path: Path) -> None:
    site = one(tmp_path, "local.a", "locals {\n  a = local.b\n  b = [local.a]\n}\n")
    assert site.text is None and "refers to itself" in (site.unresolved or "")


def test_module_that_calls_itself(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "p" {\n  default = "ERROR"\n}\n'
        'module "again" {\n  source = "./"\n  p = "{ $.a = 1 }"\n}\n'
        'resource "aws_cloudwatch_log_subscription_filter" "s" {\n  filter_pattern = var.p\n}\n'
    )
    sites = scan_paths([str(tmp_path)]).sites
    names = sorted(s.name for s in sites)
    assert names[0] == "aws_cloudwatch_log_subscription_filter.s"
    assert names[1] == "module.again.aws_cloudwatch_log_subscription_filter.s"
    assert len(sites) <= 5  # followed a few levels, then stopped


def test_fileset_over_a_missing_folder_and_a_broken_glob(tmp_path: Path) -> None:
    site = one(tmp_path, 'join(",", fileset("${path.module}/nowhere", "{a,b"))')
    assert site.text is None


def test_yaml_with_tags_and_aliases_in_a_catalog(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("a: &x !Ref Thing\nb: *x\n")
    site = one(tmp_path, 'yamldecode(file("${path.module}/c.yaml")).a')
    assert site.text is None and "tag" in (site.unresolved or "")


def test_cloudformation_if_nested_past_the_limit() -> None:
    value = "ERROR"
    for _ in range(200):
        value = f"{{Fn::If: [C, {value}, ERROR]}}"
    text = (
        "Resources:\n  F:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
        f"      FilterPattern: {value}\n"
    )
    sites = scan_text(text, "t.yaml").sites
    assert 0 < len(sites) <= 17  # branches past 16 are left unresolved, level by level
    assert any("more than 16 branches" in (s.unresolved or "") for s in sites)


def test_cloudformation_if_tree_made_huge_by_yaml_aliases() -> None:
    lines = ["Branches:", "  b0: &b0 ERROR"]
    for level in range(1, 40):
        lines.append(f"  b{level}: &b{level} {{Fn::If: [C, *b{level - 1}, *b{level - 1}]}}")
    lines += [
        "Resources:",
        "  F:",
        "    Type: AWS::Logs::SubscriptionFilter",
        "    Properties:",
        "      FilterPattern: *b39",
    ]
    sites = scan_text("\n".join(lines) + "\n", "t.yaml").sites
    assert [s.text for s in sites] in ([None], [])


def test_terraform_conditionals_with_many_branches(tmp_path: Path) -> None:
    expression = '"ERROR"'
    for level in range(6):
        expression = f"data.x.c{level} ? {expression} : {expression}"
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
        f"  filter_pattern = {expression}\n}}\n"
    )
    sites = scan_paths([str(tmp_path)]).sites
    assert 0 < len(sites) <= 17
    assert any("more than 16 branches" in (s.unresolved or "") for s in sites)


def test_cloudformation_sub_of_a_parameter_that_refers_to_itself() -> None:
    text = (
        "Parameters:\n  P:\n    Default: '${P}'\nResources:\n  F:\n"
        "    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
        "      FilterPattern: !Sub '${P}'\n"
    )
    (site,) = scan_text(text, "t.yaml").sites
    assert site.text == "${P}"  # a default is a value, not substituted again


def test_modules_outside_the_repository_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "main.tf").write_text(
        'resource "aws_cloudwatch_log_subscription_filter" "s" {\n  filter_pattern = "ERROR"\n}\n'
    )
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "local").mkdir()
    (repo / "local" / "main.tf").write_text((outside / "main.tf").read_text())
    (repo / "main.tf").write_text(
        'module "out" {\n  source = "../elsewhere"\n}\nmodule "in" {\n  source = "./local"\n}\n'
    )
    names = sorted(s.name for s in scan_paths([str(repo / "main.tf")]).sites)
    assert names == ["module.in.aws_cloudwatch_log_subscription_filter.s"]


def test_the_repository_follows_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "p.txt").write_text(f"ERROR {name}")
        (folder / "main.tf").write_text(
            'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            '  filter_pattern = file("p.txt")\n}\n'
        )
        monkeypatch.chdir(folder)
        (site,) = scan_paths(["main.tf"]).sites
        assert site.text == f"ERROR {name}", site.unresolved
