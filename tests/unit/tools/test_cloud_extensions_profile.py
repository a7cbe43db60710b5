"""tools.cloud_extensions_profile against botocore's Stubber on the real `cloudextensions` client model.

The Stubber checks every call's parameters against the service model (botocore >= 1.44.18), so a call the API
would refuse for its shape fails here too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools import cloud_extensions_profile as tool

NOW = datetime(2026, 12, 7, tzinfo=UTC)
SM = {"cache": {"ttlSeconds": 60}, "ssrfTokenHeaderCheck": False}
SPEC = {
    "name": "slo-cx-prefetch",
    "description": "Secret Latency Observatory probes",
    "tags": {"Project": "secret-latency-observatory"},
    "entries": [
        {"extension": "aws:secretsmanager", "settings": SM, "approve": ["secretsmanager"]},
        {
            "extension": "aws:parameterstore",
            "settings": {"ttlSeconds": 60},
            "approve": ["parameterStoreRead"],
        },
    ],
}
PROFILE = {
    "id": "p0123456789",
    "name": "slo-cx-prefetch",
    "arn": "arn:aws:cloudextensions:us-east-1:123456789012:profile/p0123456789",
    "entryCount": 0,
    "createdAt": NOW,
    "updatedAt": NOW,
}


def _entry(extension: str, entry_id: str) -> dict[str, Any]:
    return {
        "id": entry_id,
        "name": extension.split(":")[1],
        "arn": f"arn:aws:cloudextensions:us-east-1:123456789012:entry/{entry_id}",
        "profileId": PROFILE["id"],
        "profileName": PROFILE["name"],
        "extensionId": extension,
        "extensionDisplayName": extension,
        "createdAt": NOW,
        "updatedAt": NOW,
    }


@pytest.fixture
def stubbed() -> Any:
    client = boto3.session.Session().client(
        "cloudextensions", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_apply_creates_the_profile_and_its_entries(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_profiles", {"items": []}, {"name": "slo-cx-prefetch"})
    stubber.add_response(
        "create_profile",
        PROFILE,
        {"name": "slo-cx-prefetch", "description": SPEC["description"], "tags": SPEC["tags"]},
    )
    stubber.add_response("list_profile_entries", {"items": []}, {"profileIdentifier": PROFILE["id"]})
    for entry, entry_id in zip(SPEC["entries"], ("e0123456789", "e9876543210"), strict=True):
        stubber.add_response(
            "create_profile_entry",
            _entry(entry["extension"], entry_id),
            {
                "profileIdentifier": PROFILE["id"],
                "extensionIdentifier": entry["extension"],
                "settings": entry["settings"],
                "approve": entry["approve"],
            },
        )
    assert tool.main(["apply", "--region", "us-east-1", "--spec", json.dumps(SPEC)], client=client) == 0


def test_apply_again_updates_in_place_and_removes_what_the_spec_no_longer_names(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_profiles", {"items": [PROFILE]}, {"name": "slo-cx-prefetch"})
    existing = [_entry("aws:secretsmanager", "e0123456789"), _entry("aws:appconfig", "e5555555555")]
    stubber.add_response("list_profile_entries", {"items": existing}, {"profileIdentifier": PROFILE["id"]})
    stubber.add_response(
        "update_profile_entry",
        _entry("aws:secretsmanager", "e0123456789"),
        {
            "profileIdentifier": PROFILE["id"],
            "identifier": "e0123456789",
            "settings": SM,
            "approve": ["secretsmanager"],
        },
    )
    stubber.add_response(
        "create_profile_entry",
        _entry("aws:parameterstore", "e9876543210"),
        {
            "profileIdentifier": PROFILE["id"],
            "extensionIdentifier": "aws:parameterstore",
            "settings": {"ttlSeconds": 60},
            "approve": ["parameterStoreRead"],
        },
    )
    stubber.add_response(
        "delete_profile_entry", {}, {"profileIdentifier": PROFILE["id"], "identifier": "e5555555555"}
    )
    actions = tool.apply(client, tool.parse_spec(json.dumps(SPEC)))
    assert actions == [
        "updated aws:secretsmanager in slo-cx-prefetch",
        "added aws:parameterstore to slo-cx-prefetch",
        "removed aws:appconfig from slo-cx-prefetch",
    ]


def test_delete_removes_the_profile_and_is_quiet_when_it_is_gone(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("list_profiles", {"items": [PROFILE]}, {"name": "slo-cx-prefetch"})
    stubber.add_response("delete_profile", {}, {"identifier": PROFILE["id"]})
    stubber.add_response("list_profiles", {"items": []}, {"name": "slo-cx-prefetch"})
    assert tool.delete(client, "slo-cx-prefetch") == ["deleted profile slo-cx-prefetch"]
    assert tool.delete(client, "slo-cx-prefetch") == ["profile slo-cx-prefetch already absent"]


def test_an_api_refusal_is_one_line_and_a_non_zero_status(
    stubbed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("list_profiles", "AccessDeniedException", "not allowed", 403)
    status = tool.main(["delete", "--region", "us-east-1", "--name", "slo-cx"], client=client)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1 and "AccessDeniedException" in err[0]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({**SPEC, "name": "Slo_CX"}, "profile name"),
        ({**SPEC, "entries": []}, "non-empty"),
        ({**SPEC, "entries": [{"extension": "secretsmanager"}]}, "extension identifier"),
        ({**SPEC, "entries": [SPEC["entries"][0], SPEC["entries"][0]]}, "twice"),
        ({**SPEC, "entries": [{"extension": "aws:secretsmanager", "approve": ["Bad!"]}]}, "capability"),
    ],
)
def test_a_malformed_spec_is_refused_before_any_call(
    spec: dict[str, Any], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tool.main(["apply", "--region", "us-east-1", "--spec", json.dumps(spec)], client=object())
    assert status == 2 and problem in capsys.readouterr().err
