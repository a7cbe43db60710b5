"""A local emulator of the AWS Parameters and Secrets Lambda Extension.

`python -m lab.extension` serves the extension's HTTP API on 127.0.0.1, fetching from Secrets Manager and SSM
Parameter Store with boto3 and caching what it fetched, so Lambda code that reads secrets through the
extension can be run and measured without AWS. See README.md in this folder.
"""

from __future__ import annotations

EXTENSION_NAME = "slo-parameters-secrets"
