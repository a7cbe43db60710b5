"""What the dashboard says when it cannot read the table: the messages that need more than one line of code.

`data.classify` decides which failure it is; this module words the ones that depend on what was found: the
credentials botocore looked for, and a table without the index every read queries.
"""

from __future__ import annotations

from datastore.schema import GSI_BY_DAY

from .config import Settings


def missing_index_message(where: str) -> tuple[str, str]:
    """(message, hint) for a table that exists without its `by_day` index."""
    return (
        f"The {where} exists but has no `{GSI_BY_DAY}` index, which every read of the dashboard queries.",
        "Apply the Terraform module to it (`make up` for the lab, `make deploy` for AWS): it adds the "
        f"`{GSI_BY_DAY}` index (day, sk; projection ALL). Or set OBSERVATORY_TABLE_NAME to the observatory's "
        "table (terraform output dynamodb_table_name), if this is another one.",
    )


def names_missing_index(code: str, message: str) -> bool:
    """DynamoDB's answer to a Query on an index the table lacks: ValidationException "The table does not have
    the specified index: by_day" on AWS, ResourceNotFoundException "Invalid index: by_day …" from moto."""
    if code == "ValidationException":
        return "does not have the specified index" in message
    return code == "ResourceNotFoundException" and message.startswith(f"Invalid index: {GSI_BY_DAY} ")


def credentials_message(err: Exception, settings: Settings) -> tuple[str, str]:
    """What botocore found (or did not) when it looked for credentials, and what to set: (message, hint)."""
    from botocore import exceptions as bce

    where = settings.where
    if isinstance(err, bce.ProfileNotFound):
        message = (
            f"AWS_PROFILE names `{settings.profile}`, which is not in the AWS config or credentials files "
            "(AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/), so there are no credentials to read "
            f"{where}."
        )
    elif isinstance(err, bce.PartialCredentialsError):
        provider = str(err.kwargs.get("provider", ""))
        place = "the environment" if provider == "env" else f"the {provider} credentials"
        message = (
            f"Incomplete AWS credentials in {place}: {err.kwargs.get('cred_var', 'a value')} is missing, "
            f"so {where} cannot be read."
        )
    else:
        looked = f"profile `{settings.profile}`" if settings.profile else "the default profile"
        message = (
            f"No AWS credentials found to read {where}: none in the environment (AWS_ACCESS_KEY_ID, "
            f"AWS_SECRET_ACCESS_KEY), in {looked}, nor from an instance or container role."
        )
    if settings.endpoint_url:
        hint = (
            "This is a local endpoint: export the lab's test credentials as dashboard/README.md shows "
            "(AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing), or let `make up` start the "
            "dashboard, which passes them itself. AWS_PROFILE is not needed for the lab."
        )
    else:
        hint = (
            "Set AWS_PROFILE to a configured profile (`aws configure --profile NAME`), or export "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)."
        )
    return message, hint
