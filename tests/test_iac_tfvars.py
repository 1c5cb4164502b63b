"""`check` reads the variable files Terraform loads by itself in the root module's folder
(terraform.tfvars < terraform.tfvars.json < *.auto.tfvars[.json] in lexical order, all over the
defaults) and notes which file a value came from; modules called from the root do not read
theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.cli.patterns import check
from cwquery.iac.findings import check_sites
from cwquery.iac.scan import scan_paths
from cwquery.iac.sites import PatternSite

MAIN = (
    'variable "level" {\n  default = "DEFAULT"\n}\n'
    'resource "aws_cloudwatch_log_metric_filter" "m" {\n'
    '  pattern = "{ $.level = \\"${var.level}\\" }"\n  log_group_name = "/a"\n}\n'
)
FILES = {
    "terraform.tfvars": 'level = "TFVARS"\n',
    "terraform.tfvars.json": '{"level": "TFVARS_JSON"}',
    "a.auto.tfvars.json": '{"level": "AUTO_A"}',
    "b.auto.tfvars": 'level = "AUTO_B"\n',
}


def scan(tmp_path: Path, files: dict[str, str]) -> list[PatternSite]:
    for name, text in {"main.tf": MAIN, **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return scan_paths([str(tmp_path)]).sites


@pytest.mark.parametrize(
    ("names", "winner"),
    [
        ([], None),
        (["terraform.tfvars"], "terraform.tfvars"),
        (["terraform.tfvars", "terraform.tfvars.json"], "terraform.tfvars.json"),
        (["terraform.tfvars.json", "a.auto.tfvars.json"], "a.auto.tfvars.json"),
        (list(FILES), "b.auto.tfvars"),
        (["terraform.tfvars", "a.auto.tfvars.json"], "a.auto.tfvars.json"),
    ],
)
def test_variable_files_override_defaults_in_terraform_order(
    tmp_path: Path, names: list[str], winner: str | None
) -> None:
    (site,) = scan(tmp_path, {name: FILES[name] for name in names})
    if winner is None:
        assert site.text == '{ $.level = "DEFAULT" }'
        assert site.notes == ("checked with the default value of var.level",)
        return
    level = json.loads(FILES[winner])["level"] if winner.endswith(".json") else None
    level = level or FILES[winner].split('"')[1]
    assert site.text == f'{{ $.level = "{level}" }}'
    assert site.notes == (f"checked with var.level from {winner}",)
    (note,) = check_sites([site])
    assert (note.code, note.message) == ("resolved-value", site.notes[0])


def test_a_value_and_a_default_are_both_noted(tmp_path: Path) -> None:
    main = MAIN.replace("${var.level}", "${var.level}-${var.env}")
    main += 'variable "env" {\n  default = "prod"\n}\n'
    (site,) = scan(tmp_path, {"main.tf": main, "terraform.tfvars": 'level = "X"\n'})
    assert site.text == '{ $.level = "X-prod" }'
    assert site.notes == (
        "checked with the default value of var.env, var.level from terraform.tfvars",
    )


def test_a_variable_without_default_is_set_by_a_file(tmp_path: Path) -> None:
    main = MAIN.replace('  default = "DEFAULT"\n', "")
    (site,) = scan(tmp_path, {"main.tf": main, "x.auto.tfvars.json": '{"level": "E"}'})
    assert site.text == '{ $.level = "E" }'


def test_other_files_are_not_variable_files(tmp_path: Path) -> None:
    files = {"prod.tfvars": 'level = "P"\n', "auto.tfvars": 'level = "Q"\n'}
    (site,) = scan(tmp_path, files)
    assert site.text == '{ $.level = "DEFAULT" }'


def test_a_value_is_placed_in_its_variable_file(tmp_path: Path) -> None:
    main = MAIN.replace('"{ $.level = \\"${var.level}\\" }"', "var.level")
    tfvars = '# values\nlevel = "{ $.level = ERROR }"\n'
    (site,) = scan(tmp_path, {"main.tf": main, "terraform.tfvars": tfvars})
    assert site.source.path == str(tmp_path / "terraform.tfvars")
    assert site.text == "{ $.level = ERROR }"
    result = CliRunner().invoke(check, [str(tmp_path), "--format", "json"])
    findings = json.loads(result.output)["findings"]
    assert [(f["code"], f["message"], f["line"]) for f in findings] == [
        ("resolved-value", "checked with var.level from terraform.tfvars", 2)
    ]
    assert findings[0]["file"].endswith("terraform.tfvars")


def test_an_unreadable_variable_file_leaves_the_value_unknown(tmp_path: Path) -> None:
    (site,) = scan(tmp_path, {"terraform.tfvars": 'level = "X"\n', "z.auto.tfvars": "level = {"})
    assert site.text is None
    assert "z.auto.tfvars cannot be read" in (site.unresolved or "")


def test_a_called_module_does_not_read_its_variable_files(tmp_path: Path) -> None:
    files = {
        "terraform.tfvars": 'level = "ROOT"\n',
        "main.tf": MAIN + 'module "child" {\n  source = "./child"\n}\n',
        "child/main.tf": MAIN,
        "child/terraform.tfvars": 'level = "CHILD"\n',
    }
    sites = scan(tmp_path, files)
    root_path, child_path = str(tmp_path / "main.tf"), str(tmp_path / "child" / "main.tf")
    found = {(site.name, site.source.path): site.text for site in sites}
    assert found[("aws_cloudwatch_log_metric_filter.m", root_path)] == '{ $.level = "ROOT" }'
    name = "module.child.aws_cloudwatch_log_metric_filter.m"
    assert found[(name, child_path)] == '{ $.level = "DEFAULT" }'
    # the child folder checked on its own is a root module: Terraform would read its file
    assert found[("aws_cloudwatch_log_metric_filter.m", child_path)] == '{ $.level = "CHILD" }'
