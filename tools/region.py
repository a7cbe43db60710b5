"""Where a deployment goes: one rule, shared by `make deploy`, `make destroy`, `make preflight` and
`make dashboard`, and shown with its source before anything changes.

    region, source = resolve_region(explicit, os.environ)   # ("ap-northeast-1", "AWS_REGION")

The first of these that is set wins:
1. `explicit`: the command line's `--region` (the Makefile's `REGION=`), or a region an environment's own
   configuration names (a caller passes `terraform.tfvars`'s `region` here with `source=`);
2. `TF_VAR_region`, as terraform itself reads it;
3. `AWS_REGION`, then `AWS_DEFAULT_REGION` (the AWS SDKs' and the Terraform provider's variables);
4. the `region` of the AWS profile in use (`AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`) in the
   AWS config file (`AWS_CONFIG_FILE`, else ~/.aws/config).
Nothing set is an error saying where to set one: no deployment goes to a region nobody chose (envs/aws used to
fall back to us-east-1 whatever AWS_REGION or the profile said).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from pathlib import Path

from tools.cli import UsageError

# What the rule reads from the environment (named in each tool's --help).
ENVIRONMENT = {
    "TF_VAR_region": "the region to deploy to, unless REGION=/--region says otherwise",
    "AWS_REGION": "the region when neither REGION=/--region nor TF_VAR_region is set "
    "(then AWS_DEFAULT_REGION)",
    "AWS_PROFILE": "the profile whose `region` is used when nothing above is set "
    "(else AWS_DEFAULT_PROFILE, else default), from AWS_CONFIG_FILE or ~/.aws/config",
}
# Region codes: us-east-1, ap-northeast-1, us-gov-west-1, eu-isoe-west-1, ...
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
ENVIRONMENT_ORDER = ("TF_VAR_region", "AWS_REGION", "AWS_DEFAULT_REGION")


class RegionError(UsageError):
    """No region was chosen, or the one chosen is not a region code: what to set, and where."""


def resolve_region(
    explicit: str | None, env: Mapping[str, str], *, source: str = "REGION=/--region"
) -> tuple[str, str]:
    """(region, where it came from) by the module's rule; RegionError when nothing names one or the named
    one is not a region code. `source` names where `explicit` came from (default: the command line)."""
    candidates: list[tuple[str | None, str]] = [(explicit, source)]
    candidates += [(env.get(name), name) for name in ENVIRONMENT_ORDER]
    for value, where in candidates:
        if value is not None and value.strip():
            return _checked(value.strip(), where)
    profile, config_file = profile_in_use(env)
    found = profile_region(profile, config_file)
    if found:
        return _checked(found, f"profile {profile} in {config_file}")
    raise RegionError(
        "no region chosen: set REGION=<region> (make) or --region, TF_VAR_region, AWS_REGION, or `region` "
        f"in profile {profile} of {config_file}"
    )


def profile_in_use(env: Mapping[str, str]) -> tuple[str, Path]:
    """The AWS profile the SDKs would use and the config file they would read it from."""
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    configured = env.get("AWS_CONFIG_FILE")
    if configured:
        return profile, Path(configured).expanduser()
    home = env.get("HOME")
    return profile, (Path(home) if home else Path.home()) / ".aws" / "config"


def profile_region(profile: str, config_file: Path) -> str | None:
    """The `region` of `profile` in an AWS config file (`[default]` or `[profile NAME]`), or None."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(config_file.read_text(encoding="utf-8"), source=str(config_file))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise RegionError(f"cannot read the AWS config file {config_file}: {exc}") from None
    sections = (["default"] if profile == "default" else []) + [f"profile {profile}"]
    for section in sections:
        if parser.has_option(section, "region"):
            value = parser.get(section, "region").strip()
            return value or None
    return None


def _checked(region: str, where: str) -> tuple[str, str]:
    if not REGION_PATTERN.match(region):
        raise RegionError(f"{where} = {region!r} is not an AWS region code (e.g. us-east-1, ap-northeast-1)")
    return region, where


def describe(region: str, source: str) -> str:
    """The line shown before anything changes: the region and why it is that one."""
    return f"region {region} (from {source})"
