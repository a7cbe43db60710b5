"""terraform/policies: the deployer's policy grants exactly what resource-actions.json lists for the resource
and data source types envs/aws's Terraform uses (every type listed, none stale); the dashboard reader's grants
only reads of the table (which ones the dashboard calls: the integration test
test_dashboard_reader_policy.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICIES = REPO_ROOT / "terraform" / "policies"
DEPLOYED = [REPO_ROOT / "terraform" / "modules", REPO_ROOT / "terraform" / "envs" / "aws"]
BLOCK = re.compile(r'^\s*(?:resource|data)\s+"([a-z0-9_]+)"', re.M)
# Actions that take no resource ARN (or are listed on `*` by AWS): the only `*` resources allowed.
STAR_ACTIONS = {
    "sts:GetCallerIdentity", "logs:DescribeLogGroups", "cloudwatch:DescribeAlarms",
    "cloudextensions:ListProfiles", "cloudextensions:CreateProfile", "cloudextensions:DeleteProfile",
    "cloudextensions:ListProfileEntries", "cloudextensions:CreateProfileEntry",
    "cloudextensions:UpdateProfileEntry", "cloudextensions:DeleteProfileEntry",
}


def used_types() -> set[str]:
    """Every resource and data source type in the .tf files envs/aws applies (its module's tests aside)."""
    found: set[str] = set()
    for root in DEPLOYED:
        for path in root.rglob("*.tf"):
            if "tests" not in path.relative_to(root).parts:
                found.update(BLOCK.findall(path.read_text()))
    return found


def mapping() -> dict[str, set[str]]:
    """resource-actions.json by type (a key's first word: a type can be a resource and a data source)."""
    raw = json.loads((POLICIES / "resource-actions.json").read_text())
    by_type: dict[str, set[str]] = {}
    for key, actions in raw.items():
        if not key.startswith("_"):
            by_type.setdefault(key.split()[0], set()).update(actions)
    return by_type


def statements(name: str) -> list[dict]:
    document = json.loads((POLICIES / name).read_text())
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_every_type_terraform_uses_has_its_actions_listed_and_none_is_stale() -> None:
    listed = set(mapping()) - {"backend"}
    assert used_types() - listed == set(), "types with no actions in terraform/policies/resource-actions.json"
    assert listed - used_types() == set(), "types no .tf file uses any more"


def test_the_deployer_grants_exactly_the_listed_actions() -> None:
    wanted = {action for actions in mapping().values() for action in actions}
    granted = {a for s in statements("deployer.json") for a in as_list(s["Action"])}
    assert granted == wanted
    for statement in statements("deployer.json"):
        assert statement["Effect"] == "Allow" and "*" not in "".join(as_list(statement["Action"]))


def test_the_deployer_names_resources_except_where_aws_takes_none() -> None:
    for statement in statements("deployer.json"):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= STAR_ACTIONS, statement["Sid"]


def test_the_deployer_passes_roles_only_to_lambda_and_the_scheduler() -> None:
    (passing,) = [s for s in statements("deployer.json") if "iam:PassRole" in as_list(s["Action"])]
    assert as_list(passing["Action"]) == ["iam:PassRole"]
    services = set(passing["Condition"]["StringEquals"]["iam:PassedToService"])
    assert services == {"lambda.amazonaws.com", "scheduler.amazonaws.com"}


def test_the_reader_only_reads_the_table_and_its_index() -> None:
    (statement,) = statements("dashboard-reader.json")
    assert statement["Effect"] == "Allow"
    assert all(a.startswith("dynamodb:") and a.split(":")[1].startswith(("Query", "Get", "Scan", "Describe"))
               for a in as_list(statement["Action"]))
    assert all(r.startswith("arn:aws:dynamodb:") for r in as_list(statement["Resource"]))
