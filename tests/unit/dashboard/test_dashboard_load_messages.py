"""What the dashboard says when it cannot read: the table, its index, the credentials, each named truly."""

from __future__ import annotations

from botocore import exceptions as bce

from dashboard import data
from dashboard.config import load_settings
from datastore.schema import GSI_BY_DAY, TableError

LAB = {"AWS_ENDPOINT_URL": "https://127.0.0.1:4566", "OBSERVATORY_TABLE_NAME": "slo-measurements"}
AWS = {"AWS_REGION": "eu-west-1", "OBSERVATORY_TABLE_NAME": "slo-measurements"}


def classify(error: Exception, env: dict[str, str]) -> data.DataLoadError:
    """What the page shows for `error` raised under a store error, as the reads raise it."""
    try:
        try:
            raise error
        except Exception as inner:
            raise TableError("reading failed") from inner
    except TableError as outer:
        return data.classify(outer, load_settings(env))


def said(result: data.DataLoadError) -> str:
    return f"{result.message} {result.hint}"


def test_a_missing_table_is_named_once() -> None:
    error = bce.ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}}, "Query"
    )
    result = classify(error, LAB)
    assert result.kind == data.MISSING_TABLE
    assert "table table" not in said(result).lower()
    assert result.message.startswith("The table `slo-measurements` at https://127.0.0.1:4566 does not exist")


def test_a_table_without_its_index_says_the_index_is_missing_and_how_to_add_it() -> None:
    aws_answer = bce.ClientError(  # what DynamoDB answers
        {
            "Error": {
                "Code": "ValidationException",
                "Message": f"The table does not have the specified index: {GSI_BY_DAY}",
            }
        },
        "Query",
    )
    moto_answer = bce.ClientError(  # what the lab's endpoint (moto) answers
        {
            "Error": {
                "Code": "ResourceNotFoundException",
                "Message": f"Invalid index: {GSI_BY_DAY} for table: slo-measurements. "
                "Available indexes are: ",
            }
        },
        "Query",
    )
    for error, env in ((aws_answer, AWS), (moto_answer, LAB)):
        result = classify(error, env)
        assert result.kind == "missing_index", said(result)
        assert "does not exist" not in result.message, result.message
        assert f"`{GSI_BY_DAY}` index" in result.message
        assert "terraform" in result.hint.lower() or "make deploy" in result.hint


def test_no_credentials_says_what_was_looked_for_and_never_promises_the_labs() -> None:
    for env in (AWS, LAB):
        result = classify(bce.NoCredentialsError(), env)
        assert result.kind == data.CREDENTIALS
        assert "uses the lab's test credentials" not in said(result)  # `make dashboard` passes none
        assert result.message.startswith("No AWS credentials found"), result.message
        assert "AWS_ACCESS_KEY_ID" in said(result) and "AWS_PROFILE" in said(result)
    lab = classify(bce.NoCredentialsError(), LAB)
    assert "dashboard/README.md" in lab.hint and "make up" in lab.hint


def test_a_profile_that_is_not_configured_is_named() -> None:
    result = classify(bce.ProfileNotFound(profile="observatory"), {**AWS, "AWS_PROFILE": "observatory"})
    assert result.kind == data.CREDENTIALS
    assert "AWS_PROFILE names `observatory`" in result.message, result.message


def test_partial_credentials_say_which_part_is_missing() -> None:
    error = bce.PartialCredentialsError(provider="env", cred_var="aws_secret_access_key")
    result = classify(error, AWS)
    assert result.kind == data.CREDENTIALS
    assert "aws_secret_access_key" in result.message and "environment" in result.message, result.message
