"""The dashboard works with only terraform/policies/dashboard-reader.json: every page is run (AppTest) on a
table of the local AWS endpoint while every AWS operation any botocore client makes is recorded, and each one
must be an action the reader policy allows, on a resource it names."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from botocore.client import BaseClient
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO_ROOT

from .conftest import Table

APP = REPO_ROOT / "dashboard" / "streamlit_app.py"
PAGES = sorted(f"app_pages/{p.name}" for p in (REPO_ROOT / "dashboard" / "app_pages").glob("*.py")
               if p.name != "__init__.py")
READER = json.loads((REPO_ROOT / "terraform" / "policies" / "dashboard-reader.json").read_text())
ARN_PREFIX = "arn:aws:dynamodb:us-east-1:123456789012:table/"

pytestmark = pytest.mark.slow


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def allowed(action: str, resource: str) -> bool:
    """True when an Allow statement of the reader policy matches the action and the resource."""
    for statement in READER["Statement"]:
        actions, resources = as_list(statement["Action"]), as_list(statement["Resource"])
        if statement["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in resources
        ):
            return True
    return False


def test_every_call_of_every_page_is_allowed_by_the_reader_policy(
    fleet_table: Table, app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    real = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        prefix = self.meta.service_model.signing_name
        calls.append((f"{prefix}:{operation_name}", dict(api_params)))
        return real(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    # the reader's policy names the default table (slo-measurements): the test's table takes its place
    app_env(fleet_table)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run(timeout=120)
    for page in PAGES:
        at.switch_page(page).run(timeout=120)
        assert not at.exception, (page, [e.value for e in at.exception])
    assert calls, "the dashboard made no AWS call: nothing was checked"
    refused = []
    for action, params in calls:
        table = str(params.get("TableName", "")).replace(fleet_table.name, "slo-measurements")
        resource = ARN_PREFIX + table + (f"/index/{params['IndexName']}" if "IndexName" in params else "")
        if not allowed(action, resource):
            refused.append((action, resource))
    assert refused == []
    # and the policy grants nothing the dashboard does not call
    granted = {a for s in READER["Statement"] for a in s["Action"]}
    assert granted == {action for action, _ in calls}
