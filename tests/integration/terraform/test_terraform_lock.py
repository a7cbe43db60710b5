"""The committed lock files let `terraform init` install hashicorp/aws on any platform: the `zh:` hash of
every official package (what an install from the registry checks) and the `h1:` hash of the local mirror's
package, recomputed here from the mirror's files."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from tools import terraform

REPO_ROOT = Path(__file__).resolve().parents[3]
ENVS = ("aws", "local")
PROVIDER = "registry.terraform.io/hashicorp/aws"
VERSION = "5.100.0"
# One `zh:` hash per platform package HashiCorp signed for hashicorp/aws 5.100.0: every lock file that
# `terraform init` wrote for that version from the registry records the same 15.
PLATFORM_PACKAGES = 15


def lock_hashes(env: str) -> list[str]:
    """The hashes one lock file records for hashicorp/aws, after checking the version it pins."""
    text = (REPO_ROOT / "terraform" / "envs" / env / ".terraform.lock.hcl").read_text()
    block = re.search(r'provider "' + re.escape(PROVIDER) + r'" \{(.*?)\n\}', text, re.S)
    assert block is not None, f"envs/{env} locks no {PROVIDER}"
    assert f'version     = "{VERSION}"' in block.group(1)
    return re.findall(r'"((?:h1|zh):[^"]+)"', block.group(1))


def h1_of_directory(directory: Path) -> str:
    """Terraform's `h1:` hash (Go's dirhash Hash1) of an unpacked provider directory: the base64 SHA-256 of
    the sorted lines "<sha256 hex>  <relative path>\\n", one per file."""
    lines = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        lines.append(f"{digest.hexdigest()}  {path.relative_to(directory).as_posix()}\n")
    summary = hashlib.sha256("".join(sorted(lines)).encode()).digest()
    return "h1:" + base64.b64encode(summary).decode()


@pytest.mark.parametrize("env", ENVS)
def test_the_lock_records_every_platforms_package_hash(env: str) -> None:
    hashes = lock_hashes(env)
    zh = [h for h in hashes if h.startswith("zh:")]
    assert len(zh) == PLATFORM_PACKAGES, f"envs/{env} records {len(zh)} zh: hashes"
    assert all(re.fullmatch(r"zh:[0-9a-f]{64}", h) for h in zh), zh
    assert len(set(zh)) == len(zh) and zh == sorted(zh)  # as terraform writes them
    h1 = [h for h in hashes if h.startswith("h1:")]
    assert h1 and all(re.fullmatch(r"h1:[A-Za-z0-9+/]{43}=", h) for h in h1), h1


def test_both_environments_lock_the_same_packages() -> None:
    assert lock_hashes("aws") == lock_hashes("local")


def test_the_lock_accepts_the_mirrors_package() -> None:
    """Recompute the mirror's hash: the lock must list it (h1 of an unpacked package, zh of a zipped one)."""
    mirror = terraform.plugin_mirror()
    if mirror is None:
        pytest.skip("no provider mirror on this machine (TF_PLUGIN_MIRROR or /opt/tf-plugins)")
    base = mirror / PROVIDER / VERSION
    unpacked = sorted(p for p in base.glob("*_*") if p.is_dir()) if base.is_dir() else []
    packed = sorted((mirror / PROVIDER).glob(f"terraform-provider-aws_{VERSION}_*.zip"))
    assert unpacked or packed, f"{mirror} holds no {PROVIDER} {VERSION}"
    for env in ENVS:
        hashes = lock_hashes(env)
        for directory in unpacked:
            assert h1_of_directory(directory) in hashes, f"envs/{env}: {directory.name} of the mirror"
        for package in packed:
            assert "zh:" + hashlib.sha256(package.read_bytes()).hexdigest() in hashes, package.name
