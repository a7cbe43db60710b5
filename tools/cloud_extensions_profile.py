"""Make or remove a Systems Manager Cloud Extensions profile and its extension entries (idempotent).

    python -m tools.cloud_extensions_profile apply --region us-east-1 --spec '{"name": …, "entries": […]}'
    python -m tools.cloud_extensions_profile delete --region us-east-1 --name slo-cx

Terraform's AWS provider has no resource for the Cloud Extensions API (API version 2026-11-29), so the
observatory's module runs this from `terraform_data` provisioners: `apply` at create (and whenever the spec
changes), `delete` at destroy. It uses boto3's `cloudextensions` client (botocore ≥ 1.44.18).

`apply` finds the profile by its name (ListProfiles) and creates it if missing; then, per entry of the spec,
creates the extension's entry or updates its settings (a JSON merge patch, AWS documents) and capability
approvals; entries of extensions the spec no longer names are deleted, so the profile holds exactly the spec.
Running it twice changes nothing the second time but the updates' no-op patches. `delete` deletes the profile
(AWS deletes its entries with it); a profile already gone is not an error. The spec holds names and settings,
never a key: the probes use the default `runtimeCredentials` authentication, so there is no secret to carry.

Spec: {"name": str, "description": str, "tags": {str: str},
       "entries": [{"extension": "aws:secretsmanager", "settings": {…}, "approve": ["secretsmanager"]}, …]}
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

# The API's rules (botocore model `cloudextensions` 2026-11-29: Name, ExtensionId, CapabilityPath)
PROFILE_NAME = re.compile(r"[a-z][a-z0-9]+([_-][a-z0-9]+)*")
EXTENSION_ID = re.compile(r"[a-z0-9]{3,16}:[a-z][a-z0-9]+([_-][a-z0-9]+)*")
CAPABILITY = re.compile(r"[a-z][a-zA-Z0-9]{2,31}(\.([a-z][a-zA-Z0-9]{2,31}|0|[1-9][0-9]?))*")


class ProfileError(Exception):
    """The spec is malformed, or the API refused a call; the message says which and why."""


def parse_spec(text: str) -> dict[str, Any]:
    """The spec, checked against the API's own rules before any call (ProfileError names the problem)."""
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise ProfileError(f"--spec is not JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise ProfileError("--spec must be a JSON object")
    name = spec.get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 32 or not PROFILE_NAME.fullmatch(name):
        raise ProfileError(
            f"profile name {name!r}: 2-32 of a-z, 0-9, single '-' or '_' between, a letter first"
        )
    entries = spec.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ProfileError("entries: a non-empty list of {extension, settings, approve}")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        extension = entry.get("extension") if isinstance(entry, dict) else None
        if not isinstance(extension, str) or not EXTENSION_ID.fullmatch(extension):
            raise ProfileError(f"entries[{i}].extension {extension!r} is not an extension identifier")
        if extension in seen:
            raise ProfileError(f"entries[{i}]: {extension} twice (a profile has one entry per extension)")
        seen.add(extension)
        if not isinstance(entry.get("settings", {}), dict):
            raise ProfileError(f"entries[{i}].settings must be a JSON object")
        approve = entry.get("approve", [])
        if not isinstance(approve, list) or not all(
            isinstance(c, str) and CAPABILITY.fullmatch(c) for c in approve
        ):
            raise ProfileError(f"entries[{i}].approve must be a list of capability paths")
    return spec


def _pages(call: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        yield from page.get("items", [])
        token = page.get("nextToken")
        if not token:
            return


def find_profile(client: Any, name: str) -> dict[str, Any] | None:
    """The profile summary named `name`, or None."""
    for item in _pages(client.list_profiles, name=name):
        if item.get("name") == name:
            return item
    return None


def apply(client: Any, spec: Mapping[str, Any]) -> list[str]:
    """Make the profile hold exactly the spec's entries; the actions taken, one line each."""
    actions: list[str] = []
    name = spec["name"]
    profile = find_profile(client, name)
    if profile is None:
        extra = {"description": spec["description"]} if spec.get("description") else {}
        if spec.get("tags"):
            extra["tags"] = dict(spec["tags"])
        profile = client.create_profile(name=name, **extra)
        actions.append(f"created profile {name}")
    profile_id = profile["id"]
    existing = {
        e["extensionId"]: e for e in _pages(client.list_profile_entries, profileIdentifier=profile_id)
    }
    wanted = {entry["extension"]: entry for entry in spec["entries"]}
    for extension, entry in wanted.items():
        settings = entry.get("settings", {})
        approve = list(entry.get("approve", []))
        if extension in existing:
            client.update_profile_entry(
                profileIdentifier=profile_id,
                identifier=existing[extension]["id"],
                settings=settings,
                approve=approve,
            )
            actions.append(f"updated {extension} in {name}")
        else:
            client.create_profile_entry(
                profileIdentifier=profile_id,
                extensionIdentifier=extension,
                settings=settings,
                approve=approve,
            )
            actions.append(f"added {extension} to {name}")
    for extension, entry in existing.items():
        if extension not in wanted:
            client.delete_profile_entry(profileIdentifier=profile_id, identifier=entry["id"])
            actions.append(f"removed {extension} from {name}")
    return actions


def delete(client: Any, name: str) -> list[str]:
    """Delete the profile named `name` (its entries go with it); nothing to do when it is gone."""
    profile = find_profile(client, name)
    if profile is None:
        return [f"profile {name} already absent"]
    try:
        client.delete_profile(identifier=profile["id"])
    except client.exceptions.ResourceNotFoundException:
        return [f"profile {name} already absent"]
    return [f"deleted profile {name}"]


def make_client(region: str) -> Any:
    """boto3's cloudextensions client (needs botocore >= 1.44.18, which carries the service model)."""
    import boto3

    try:
        return boto3.session.Session().client("cloudextensions", region_name=region)
    except Exception as exc:  # botocore's UnknownServiceError on an older botocore
        raise ProfileError(
            f"no cloudextensions client ({type(exc).__name__}): needs botocore >= 1.44.18"
        ) from None


def main(argv: Sequence[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.cloud_extensions_profile", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    apply_parser = sub.add_parser("apply", help="create or update the profile and its entries")
    apply_parser.add_argument(
        "--spec", required=True, help="the profile as JSON (see the module's docstring)"
    )
    delete_parser = sub.add_parser("delete", help="delete the profile and its entries")
    delete_parser.add_argument("--name", required=True, help="the profile's name")
    for each in (apply_parser, delete_parser):
        each.add_argument("--region", required=True, help="the AWS region of the profile")
    args = parser.parse_args(argv)
    try:
        client = client or make_client(args.region)
        if args.command == "apply":
            actions = apply(client, parse_spec(args.spec))
        else:
            actions = delete(client, args.name)
    except ProfileError as exc:
        print(f"cloud_extensions_profile: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # botocore's ClientError and friends: one clear line, non-zero status
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        print(
            f"cloud_extensions_profile: {args.command} failed: {code or type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    for action in actions:
        print(f"cloud_extensions_profile: {action}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
