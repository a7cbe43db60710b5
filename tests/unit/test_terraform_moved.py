"""The module's `moved` blocks stay honest: a deployment applied before modules/functions (commit 47c607f, the
last with the functions written out in the module) must plan with nothing destroyed. Terraform only moves what
a `moved` block names, and says nothing when one is missing or points nowhere (it plans a destroy and a
create), so: every address of that commit that is gone has its block, every block's old address is gone from
the configuration, and every new address names a module call of this module and a resource of its source.

(Measured once against a deployment: 47c607f's envs/local applied to a local endpoint, then planned with the
blocks: 66 moves, "Plan: 0 to add, 0 to change, 0 to destroy". The full procedure is in terraform/README.md.)
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "terraform" / "modules" / "observatory"
# The function-shaped resources of module.observatory at 47c607f (every other address is unchanged).
ADDRESSES_47C607F = {
    f"{kind}.{name}"
    for name in ("probe", "collector", "compactor")
    for kind in (
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_lambda_function",
        "aws_lambda_function_event_invoke_config",
    )
} | {"aws_iam_role_policy.probe_destination"}
MOVED = re.compile(r'moved\s*\{\s*from\s*=\s*([^\s]+)\s*to\s*=\s*([^\s]+)\s*\}')
TO = re.compile(r'^module\.(\w+)\.(\w+)\.(\w+)(\["[^"]+"\])?$')


def declared(directory: Path) -> tuple[set[str], dict[str, str]]:
    """The resources ("type.name") and module calls ({name: source}) of a module's .tf files."""
    text = "\n".join(path.read_text() for path in sorted(directory.glob("*.tf")))
    resources = {f"{kind}.{name}" for kind, name in re.findall(r'^resource\s+"(\w+)"\s+"(\w+)"', text, re.M)}
    calls = dict(re.findall(r'^module\s+"(\w+)"\s*\{\s*source\s*=\s*"([^"]+)"', text, re.M))
    return resources, calls


def all_moved_blocks() -> list[tuple[str, str]]:
    return MOVED.findall((MODULE / "moved.tf").read_text())


def moved_blocks() -> list[tuple[str, str]]:
    """The blocks moving a resource into modules/functions (not those giving a resource a count)."""
    return [(source, target) for source, target in all_moved_blocks() if target != f"{source}[0]"]


# Resources that became optional (count) when home_table came: each keeps its state as instance [0].
COUNTED = {
    "aws_dynamodb_table.this",
    "aws_iam_role.compactor_schedule",
    "aws_iam_role_policy.compactor_schedule",
    "aws_scheduler_schedule.compactor",
}


def test_a_resource_that_became_optional_keeps_its_state_as_instance_zero() -> None:
    counted = {source for source, target in all_moved_blocks() if target == f"{source}[0]"}
    assert counted == COUNTED
    text = "\n".join(path.read_text() for path in sorted(MODULE.glob("*.tf")))
    for address in counted:
        kind, name = address.split(".")
        body = text.split(f'resource "{kind}" "{name}" {{', 1)[1].split("\n}\n", 1)[0]
        assert "count = local.owns_table ? 1 : 0" in body, address


def test_every_address_of_the_functions_before_the_module_has_a_moved_block() -> None:
    sources = [source for source, _ in moved_blocks()]
    assert len(sources) == len(set(sources))
    assert set(sources) == ADDRESSES_47C607F


def test_every_old_address_is_gone_and_every_new_one_exists() -> None:
    resources, calls = declared(MODULE)
    for source, target in moved_blocks():
        assert source not in resources, f"{source} is still declared: its moved block would move it away"
        found = TO.match(target)
        assert found, f"{target} is not module.<call>.<type>.<name>"
        call, kind, name, key = found.groups()
        assert call in calls, f"{target}: module.observatory calls no module {call}"
        inner, _ = declared(MODULE / calls[call])
        assert f"{kind}.{name}" in inner, f"{target}: {calls[call]} declares no {kind}.{name}"
        # a single resource lands on the instance keyed by its own name; a for_each keeps its keys
        assert key in (None, f'["{call}"]'), target
        assert (key is None) == source.endswith(("probe", "probe_destination")), target
