"""terraform/bootstrap applied to the local AWS endpoint: the state bucket as S3 reports it (versioned, KMS
encrypted, public access blocked, ACLs off, TLS-only policy, old versions expiring), and the backend.hcl it
writes used by a real `terraform apply`: the state lands in the bucket, locked with S3's lock file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tools import remote_state, terraform

from .tree import IGNORED, REPO_ROOT

pytestmark = pytest.mark.slow
BUCKET = "slo-tfstate-123456789012-us-east-1"  # the default name: prefix, moto's account, region
KEY = "secret-latency-observatory/aws.tfstate"


def provider_override(endpoint: str, ca_bundle: str | None) -> str:
    """The bootstrap's provider with the local endpoint's credentials and endpoints (S3 and STS)."""
    ca = f"  custom_ca_bundle = {json.dumps(ca_bundle)}\n" if ca_bundle else ""
    return (
        'provider "aws" {\n  region = "us-east-1"\n  access_key = "testing"\n  secret_key = "testing"\n'
        "  skip_credentials_validation = true\n  skip_metadata_api_check = true\n  s3_use_path_style = true\n"
        f"{ca}  endpoints {{\n    s3 = {json.dumps(endpoint)}\n    sts = {json.dumps(endpoint)}\n  }}\n}}\n"
    )


def backend_endpoint(endpoint: str, ca_bundle: str | None) -> str:
    """What a -backend-config file adds so the S3 backend talks to the local endpoint."""
    ca = f"custom_ca_bundle = {json.dumps(ca_bundle)}\n" if ca_bundle else ""
    return (
        f"endpoints = {{\n  s3 = {json.dumps(endpoint)}\n  sts = {json.dumps(endpoint)}\n}}\n{ca}"
        'access_key = "testing"\nsecret_key = "testing"\nuse_path_style = true\n'
        "skip_credentials_validation = true\nskip_requesting_account_id = true\n"
        "skip_metadata_api_check = true\n"
    )


def s3(endpoint: str, ca_bundle: str | None = None) -> Any:
    config = Config(s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=config, verify=ca_bundle)


def applied(endpoint: str, ca_bundle: str | None, base: Path) -> dict[str, Any]:
    """terraform/bootstrap copied into `base`, pointed at the endpoint, applied; its outputs."""
    root = base / "bootstrap"
    shutil.copytree(REPO_ROOT / "terraform" / "bootstrap", root, ignore=IGNORED)
    (root / "zz_test_provider_override.tf").write_text(provider_override(endpoint, ca_bundle))
    ws = terraform.Workspace(root, data_dir=base / "data", state=base / "bootstrap.tfstate")
    terraform.init(ws)
    return {"base": base, "outputs": terraform.apply(ws), "ws": ws, "endpoint": endpoint, "ca": ca_bundle}


@pytest.fixture(scope="module")
def bootstrap(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bootstrap applied to the plain-HTTP endpoint (every test here reads it)."""
    return applied(aws_endpoint, None, tmp_path_factory.mktemp("tfbootstrap"))


def test_the_state_bucket_is_versioned_encrypted_private_and_tls_only(
    bootstrap: dict[str, Any], aws_endpoint: str
) -> None:
    client = s3(aws_endpoint)
    assert bootstrap["outputs"]["bucket_name"] == BUCKET
    assert client.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = client.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = client.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
    ownership = client.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (statement,) = json.loads(client.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    (lifecycle,) = client.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_a_second_plan_changes_nothing(bootstrap: dict[str, Any]) -> None:
    assert terraform.plan(bootstrap["ws"])["resource_changes_pending"] == []


def init_with_backend(bootstrap: dict[str, Any]) -> terraform.Workspace:
    """A root with the backend block tools.remote_state writes and the bootstrap's backend.hcl, initialised
    (plus the endpoint's address and credentials in a second -backend-config file)."""
    env = bootstrap["base"] / "env"
    env.mkdir()
    (env / "main.tf").write_text('resource "terraform_data" "marker" {\n  input = "kept in S3"\n}\n')
    config = remote_state.write_backend_config(bootstrap["outputs"]["backend_config"], env)
    (env / "endpoint.hcl").write_text(backend_endpoint(bootstrap["endpoint"], bootstrap["ca"]))
    ws = terraform.Workspace(env, data_dir=bootstrap["base"] / "env-data")
    args = ["init", "-input=false", "-no-color", f"-backend-config={config}", "-backend-config=endpoint.hcl"]
    terraform.run(ws, args)
    return ws


@pytest.fixture
def without_policy(bootstrap: dict[str, Any], aws_endpoint: str) -> Iterator[None]:
    """The bucket's policy lifted for one test and put back: moto applies a bucket policy's Deny ignoring its
    Condition ("Conditions are not taken into account", moto's put_bucket_policy), so the TLS-only rule
    would refuse every request, TLS or not. Its content is checked above."""
    client = s3(aws_endpoint)
    policy = client.get_bucket_policy(Bucket=BUCKET)["Policy"]
    client.delete_bucket_policy(Bucket=BUCKET)
    try:
        yield
    finally:
        client.put_bucket_policy(Bucket=BUCKET, Policy=policy)


def test_backend_hcl_keeps_state_in_the_bucket_with_a_lock_file(
    bootstrap: dict[str, Any], aws_endpoint: str, without_policy: None
) -> None:
    """The root's apply writes the state to the key, and the lock file it took leaves its versions."""
    config_text = bootstrap["outputs"]["backend_config"]
    assert "use_lockfile = true" in config_text and "encrypt" not in config_text  # the bucket's KMS default
    ws = init_with_backend(bootstrap)
    terraform.apply(ws)
    assert not (ws.env_dir / "terraform.tfstate").exists()
    client = s3(aws_endpoint)
    state = json.loads(client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    assert [r["type"] for r in state["resources"]] == ["terraform_data"]
    assert client.head_object(Bucket=BUCKET, Key=KEY)["ServerSideEncryption"] == "aws:kms"
    versions = client.list_object_versions(Bucket=BUCKET, Prefix=KEY + ".tflock")
    assert versions.get("Versions") and versions.get("DeleteMarkers")  # taken, then released
