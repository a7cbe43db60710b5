"""A local emulator of the AWS Systems Manager Cloud Extensions runtime with its Secrets Manager and Parameter
Store extensions (docs/reference/cloud-extensions.md is the contract). See README.md in this folder.
"""

from __future__ import annotations

EXTENSION_NAME = "slo-cloud-extensions"
