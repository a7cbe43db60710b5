"""Apply terraform/envs/local to the local AWS endpoint over HTTP with the real build, and check what a user
would see: functions, destinations, schedules, table, IAM, canaries; then no drift, then a clean destroy."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from datastore.vocabulary import STRATEGIES
from tools import terraform

from .tree import REPO_ROOT, TerraformTree

BUILD_DIR = Path(os.environ.get("BUILD_DIR", REPO_ROOT / "build"))
if not BUILD_DIR.is_absolute():
    BUILD_DIR = REPO_ROOT / BUILD_DIR
PREFIX = "tfit"
# One tier keeps the apply short; 1,769 MB is neither Lambda's default nor the collector's. The two-tier
# cross product is checked by test_terraform_settings.
MEMORY_SIZES = [1769]
# Two probes of the tracing comparison (envs/local's default is the extension and the SDK at 128 MB in four
# modes): the OpenTelemetry modes, with the layers only they carry.
COMPARISON = {"strategies": ["sdk"], "memory_sizes": [1769], "tracing": ["otel", "adot"]}
SCHEDULE = "rate(5 minutes)"

pytestmark = pytest.mark.slow


def client(endpoint: str, service: str) -> Any:
    # one host name for every service: buckets are paths, as envs/local's provider addresses them
    config = Config(s3={"addressing_style": "path"})
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config)


def bucket_keys(endpoint: str, bucket: str) -> set[str]:
    listed = client(endpoint, "s3").list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def inventory(endpoint: str) -> dict[str, set[str]]:
    """Everything with the test's prefix that the endpoint holds, by kind."""
    lam, iam = client(endpoint, "lambda"), client(endpoint, "iam")
    found: dict[str, set[str]] = {
        "functions": {f["FunctionName"] for f in lam.list_functions()["Functions"]},
        "layers": {
            layer["LayerName"]
            for layer in lam.list_layers()["Layers"]
            if lam.list_layer_versions(LayerName=layer["LayerName"])["LayerVersions"]
        },
        "roles": {r["RoleName"] for r in iam.list_roles()["Roles"]},
        "tables": set(client(endpoint, "dynamodb").list_tables()["TableNames"]),
        "queues": set(client(endpoint, "sqs").list_queues().get("QueueUrls", [])),
        "secrets": {s["Name"] for s in client(endpoint, "secretsmanager").list_secrets()["SecretList"]},
        "parameters": {p["Name"] for p in client(endpoint, "ssm").describe_parameters()["Parameters"]},
        "schedule_groups": {
            g["Name"] for g in client(endpoint, "scheduler").list_schedule_groups()["ScheduleGroups"]
        },
        "schedules": {s["Name"] for s in client(endpoint, "scheduler").list_schedules()["Schedules"]},
        "log_groups": {
            g["logGroupName"] for g in client(endpoint, "logs").describe_log_groups()["logGroups"]
        },
        "alarms": {a["AlarmName"] for a in client(endpoint, "cloudwatch").describe_alarms()["MetricAlarms"]},
        "buckets": {b["Name"] for b in client(endpoint, "s3").list_buckets()["Buckets"]},
    }
    return {kind: {name for name in names if PREFIX in name} for kind, names in found.items()}


@pytest.fixture(scope="module")
def deployment(
    aws_endpoint: str, terraform_tree: TerraformTree, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """envs/local applied from the session's copy of terraform/ (state, .terraform: out of the repo)."""
    manifest = BUILD_DIR / "manifest.json"
    if not manifest.exists():
        pytest.fail(f"{manifest} is missing: run `make build` (python -m tools.build --out build) first")
    ws = terraform_tree.workspace(
        "local",
        state=tmp_path_factory.mktemp("tflocal") / "local.tfstate",
        variables={
            "endpoint": aws_endpoint,
            "artifacts_dir": str(BUILD_DIR),
            "name_prefix": PREFIX,
            "fleet": {"strategies": list(STRATEGIES), "memory_sizes": MEMORY_SIZES},
            "tracing_comparison": COMPARISON,
            "schedule_expression": SCHEDULE,
        },
    )
    before = inventory(aws_endpoint)
    outputs = terraform.apply(ws)
    state: dict[str, Any] = {"ws": ws, "outputs": outputs, "before": before, "destroyed": False}
    try:
        yield state
    finally:
        if not state["destroyed"]:
            terraform.destroy(ws)


@pytest.fixture(scope="module")
def functions(deployment: dict[str, Any], aws_endpoint: str) -> dict[str, dict[str, Any]]:
    lam = client(aws_endpoint, "lambda")
    names = dict(deployment["outputs"]["probe_function_names"])
    names["collector"] = deployment["outputs"]["collector_function_name"]
    names["compactor"] = deployment["outputs"]["compactor_function_name"]
    return {key: lam.get_function_configuration(FunctionName=name) for key, name in names.items()}


def role_documents(aws_endpoint: str, role_arn: str) -> dict[str, dict[str, Any]]:
    """The inline policies a role carries, by name (no managed policy is ever attached)."""
    iam = client(aws_endpoint, "iam")
    role_name = role_arn.rsplit("/", 1)[1]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    documents = {}
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        documents[name] = json.loads(document) if isinstance(document, str) else document
    return documents


def role_policy(aws_endpoint: str, role_arn: str) -> list[dict[str, Any]]:
    """The statements of a role's inline policies together (actions and resources as lists)."""
    statements = []
    for document in role_documents(aws_endpoint, role_arn).values():
        statements += policy_statements(document)
    return statements


def policy_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        statements.append(
            {"sid": statement.get("Sid"), "actions": sorted(actions), "resources": sorted(resources)}
        )
    return statements


def assert_no_wildcards(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        assert all("*" not in action for action in statement["actions"]), statement
        if statement["resources"] == ["*"]:
            assert statement["actions"] == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], statement
        else:
            assert all(resource.startswith("arn:aws:") for resource in statement["resources"]), statement


def catalogue() -> set[str]:
    return {f"{s}-{m}-x86_64" for s in STRATEGIES for m in MEMORY_SIZES}


def test_the_fleet_is_the_catalogue_and_the_tracing_comparison(deployment: dict[str, Any]) -> None:
    expected = catalogue() | {"sdk-1769-x86_64-otel", "sdk-1769-x86_64-adot"}
    assert set(deployment["outputs"]["probe_function_names"]) == expected
    assert deployment["outputs"]["fleet"]["sdk-1769-x86_64"] == {
        "strategy": "sdk",
        "memory_mb": 1769,
        "architecture": "x86_64",
        "runtime": "python3.11",
        "tracing": "subsegments",
        "stores": None,
        "prefetch": False,
    }


def test_every_probe_has_its_memory_arch_runtime_env_and_layers(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    layer = deployment["outputs"]["extension_layer_arn"]
    assert layer.startswith("arn:aws:lambda:us-east-1:") and f"{PREFIX}-parameters-secrets-emulator" in layer
    cx_layer = deployment["outputs"]["cloud_extensions_layer_arn"]
    assert cx_layer.startswith("arn:aws:lambda:us-east-1:")
    assert f"{PREFIX}-cloud-extensions-emulator" in cx_layer
    layers_of = {"extension": [layer], "cloud_extensions": [cx_layer]}
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    for key in catalogue():
        strategy, memory, arch = key.rsplit("-", 2)
        config = functions[key]
        assert config["MemorySize"] == int(memory)
        assert config["Architectures"] == [arch]
        assert config["Runtime"] == "python3.11"
        assert config["Handler"] == "probe.handler.handler"
        assert config["TracingConfig"]["Mode"] == "Active"
        assert config["CodeSha256"] == manifest["probe-code"]["sha256_b64"]  # one small zip for every probe
        expected_env = {
            "OBSERVATORY_PROBE_KEY": key,
            "OBSERVATORY_STRATEGY": strategy,
            "OBSERVATORY_ARCHITECTURE": arch,
            "OBSERVATORY_ENVIRONMENT": "lab",
            "OBSERVATORY_SECRET_ID": f"{PREFIX}-canary-secret",
            "OBSERVATORY_PARAMETER_NAME": f"/{PREFIX}/canary/secure",
            "OBSERVATORY_WARM_SAMPLES": "10" if strategy == "sdk" else "100",
            "OBSERVATORY_CACHE_TTL_SECONDS": "60",
            "OBSERVATORY_EXTENSION_LAYER": (layers_of.get(strategy) or [""])[0],
            "OBSERVATORY_TRACING": "subsegments",
        }
        if strategy == "extension":
            expected_env |= {
                "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "2773",
                "SECRETS_MANAGER_TTL": "60",
                "SSM_PARAMETER_STORE_TTL": "60",
            }
        if strategy == "powertools":
            expected_env["POWERTOOLS_PARAMETERS_MAX_AGE"] = "60"
        variables = dict(config["Environment"]["Variables"])
        if strategy == "cloud_extensions":
            expected_env["OBSERVATORY_PREFETCH"] = "false"
            # the profile's settings, given to the lab's emulator (on AWS the runtime loads the profile)
            profile = json.loads(variables.pop("OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE"))
            assert profile["secretsmanager"]["cache"]["ttlSeconds"] == 60, key
            assert profile["parameterstore"]["ttlSeconds"] == 60, key
        assert variables == expected_env, key
        layers = [entry["Arn"] for entry in config.get("Layers", [])]
        # the libraries' layer (deps-current-python3.11-x86_64.zip), then the extension's
        assert f":layer:{PREFIX}-probe-deps-current-py311-{arch}:" in layers[0], key
        assert layers[1:] == layers_of.get(strategy, []), key


def test_otel_and_adot_probes_carry_their_layers_and_variables(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    otel, adot = functions["sdk-1769-x86_64-otel"], functions["sdk-1769-x86_64-adot"]
    deps = f":layer:{PREFIX}-probe-deps-current-py311-x86_64:"
    otel_layers = [entry["Arn"] for entry in otel.get("Layers", [])]
    assert len(otel_layers) == 2 and deps in otel_layers[0]
    assert f":layer:{PREFIX}-probe-deps-otel-py311-x86_64:" in otel_layers[1]
    adot_layers = [entry["Arn"] for entry in adot.get("Layers", [])]
    lab_adot = deployment["outputs"]["adot_layer_arns"]["python3.11"]
    assert f":layer:{PREFIX}-adot-py311-x86_64:" in lab_adot
    assert len(adot_layers) == 2 and deps in adot_layers[0] and adot_layers[1] == lab_adot
    otel_env, adot_env = otel["Environment"]["Variables"], adot["Environment"]["Variables"]
    assert otel_env["OBSERVATORY_TRACING"] == "otel" and "AWS_LAMBDA_EXEC_WRAPPER" not in otel_env
    assert otel_env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].endswith("/v1/traces")  # the lab replaces it
    assert adot_env["OBSERVATORY_TRACING"] == "adot"
    assert adot_env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument"
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" not in adot_env
    assert otel["TracingConfig"]["Mode"] == adot["TracingConfig"]["Mode"] == "Active"


def test_every_zip_is_deployed_from_the_labs_bucket_once(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    """From local files the provider creates functions one at a time; from the bucket, side by side. Each zip
    is one object, keyed by its SHA-256, whatever number of functions and layers run it."""
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    deployed = ["probe-code", "deps-current-python3.11-x86_64", "collector-python3.11-x86_64"]
    deployed += ["deps-otel-python3.11-x86_64", "extension-layer-x86_64", "cloud-extensions-layer-x86_64"]
    deployed.append("adot-layer-python3.11-x86_64")  # envs/local's own uploads: the emulators, the ADOT layer
    assert bucket_keys(aws_endpoint, f"{PREFIX}-lab-code") == {
        f"{PREFIX}/{manifest[name]['sha256_hex']}/{name}.zip" for name in deployed
    }
    lam = client(aws_endpoint, "lambda")
    for key, config in functions.items():
        code = lam.get_function(FunctionName=config["FunctionName"])["Code"]
        assert code["RepositoryType"] == "S3", key


def test_collector_is_configured_per_contract(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    config = functions["collector"]
    assert config["Handler"] == "collector.handler.handler"
    assert config["Environment"]["Variables"] == {
        "OBSERVATORY_TABLE_NAME": f"{PREFIX}-measurements",
        "OBSERVATORY_TABLE_REGION": "us-east-1",  # the home table's region: here, its own
        "OBSERVATORY_DLQ_URL": deployment["outputs"]["dead_letter_queue_url"],
        "OBSERVATORY_RETENTION_DAYS": "30",
    }


def test_compactor_runs_the_collector_zip_hourly_with_least_privilege(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    config = functions["compactor"]
    assert config["Handler"] == "collector.compactor.handler"
    assert config["CodeSha256"] == functions["collector"]["CodeSha256"]  # the same zip, no new one
    assert (
        config["Environment"]["Variables"]
        == {
            "OBSERVATORY_TABLE_NAME": f"{PREFIX}-measurements",
            "OBSERVATORY_DIGEST_RETENTION_DAYS": "3650",
            "OBSERVATORY_DIGEST_SETTLE_SECONDS": "4500",  # max event age (1 h) + 15 min of collector retries
            "OBSERVATORY_DIGEST_CATCH_UP_DAYS": "14",
        }
    )
    scheduler = client(aws_endpoint, "scheduler")
    schedule = scheduler.get_schedule(
        Name="compactor", GroupName=deployment["outputs"]["schedule_group_name"]
    )
    assert schedule["ScheduleExpression"] == "rate(1 hour)" and schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"] == config["FunctionArn"]
    assert json.loads(schedule["Target"]["Input"]) == {"source": "observatory.compactor"}
    assert role_policy(aws_endpoint, schedule["Target"]["RoleArn"]) == [
        {"sid": "InvokeCompactor", "actions": ["lambda:InvokeFunction"], "resources": [config["FunctionArn"]]}
    ]
    invoke = client(aws_endpoint, "lambda").get_function_event_invoke_config(
        FunctionName=config["FunctionName"]
    )
    assert invoke["MaximumRetryAttempts"] == 0  # the next hourly run is the retry


def test_destinations_send_probe_results_to_the_collector_and_its_failures_to_the_queue(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    lam = client(aws_endpoint, "lambda")
    collector_arn = functions["collector"]["FunctionArn"]
    for name in deployment["outputs"]["probe_function_names"].values():
        config = lam.get_function_event_invoke_config(FunctionName=name)
        assert config["DestinationConfig"]["OnSuccess"]["Destination"] == collector_arn
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == collector_arn
        assert config["MaximumRetryAttempts"] == 2
    queue_url = deployment["outputs"]["dead_letter_queue_url"]
    sqs = client(aws_endpoint, "sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    collector = lam.get_function_event_invoke_config(FunctionName=functions["collector"]["FunctionName"])
    assert collector["DestinationConfig"]["OnFailure"]["Destination"] == attributes["QueueArn"]


def test_each_probe_has_a_schedule_with_the_contract_input(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    scheduler = client(aws_endpoint, "scheduler")
    group = deployment["outputs"]["schedule_group_name"]
    schedule_queue_arn = client(aws_endpoint, "sqs").get_queue_attributes(
        QueueUrl=deployment["outputs"]["schedule_dead_letter_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert schedule_queue_arn.endswith(f":{PREFIX}-schedule-dlq")
    listed = {s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]} - {"compactor"}
    assert listed == set(deployment["outputs"]["probe_function_names"])
    for key in listed:
        schedule = scheduler.get_schedule(Name=key, GroupName=group)
        # the tracing comparison's probes end in their mode (-otel, -adot); the catalogue's trace subsegments
        name, tracing = (key, "subsegments") if key in catalogue() else key.rsplit("-", 1)
        strategy, memory, arch = name.rsplit("-", 2)
        assert schedule["ScheduleExpression"] == SCHEDULE
        assert schedule["State"] == "ENABLED"
        assert schedule["Target"]["Arn"] == functions[key]["FunctionArn"]
        assert json.loads(schedule["Target"]["Input"]) == {
            "source": "observatory.schedule",
            "probe_key": key,
            "strategy": strategy,
            "memory_mb": int(memory),
            "architecture": arch,
            "runtime": "python3.11",
            "tracing": tracing,
            "environment": "lab",
            # only Cloud Extensions has a prefetch variant (contract §2)
            "prefetch": False if strategy == "cloud_extensions" else None,
        }
        # spread over a third of the 5-minute interval; undeliverable runs go to the schedules' queue
        assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1}
        assert schedule["Target"]["DeadLetterConfig"] == {"Arn": schedule_queue_arn}
        assert schedule["Target"]["RoleArn"].endswith(f":role/{PREFIX}-us-east-1-scheduler")
        documents = role_documents(aws_endpoint, schedule["Target"]["RoleArn"])
        assert list(documents) == ["scheduler"]
        assert sorted(policy_statements(documents["scheduler"]), key=lambda s: s["sid"]) == [
            {
                "sid": "InvokeProbes",
                "actions": ["lambda:InvokeFunction"],
                "resources": [f"arn:aws:lambda:us-east-1:123456789012:function:{PREFIX}-probe-*"],
            },
            {
                "sid": "SendUndeliveredToDeadLetterQueue",
                "actions": ["sqs:SendMessage"],
                "resources": [schedule_queue_arn],
            },
        ]
        # one pattern, not one ARN per probe: the same size for 10 probes or 200 (IAM's limit is 10,240)
        assert len(json.dumps(documents["scheduler"], separators=(",", ":"))) < 600


def test_table_has_the_collectors_keys_index_ttl_and_protection(
    deployment: dict[str, Any], aws_endpoint: str
) -> None:
    from datastore.schema import table_definition

    ddb = client(aws_endpoint, "dynamodb")
    name = deployment["outputs"]["dynamodb_table_name"]
    table = ddb.describe_table(TableName=name)["Table"]
    wanted = table_definition(name)
    assert table["KeySchema"] == wanted["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        wanted["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    index = table["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], i["KeySchema"], i["Projection"]) for i in index] == [
        (g["IndexName"], g["KeySchema"], g["Projection"]) for g in wanted["GlobalSecondaryIndexes"]
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_each_role_allows_only_what_its_function_does(
    deployment: dict[str, Any], functions: dict[str, dict[str, Any]], aws_endpoint: str
) -> None:
    secret_arn = client(aws_endpoint, "secretsmanager").describe_secret(SecretId=f"{PREFIX}-canary-secret")[
        "ARN"
    ]
    parameter_arn = client(aws_endpoint, "ssm").get_parameter(Name=f"/{PREFIX}/canary/secure")["Parameter"][
        "ARN"
    ]
    collector = functions["collector"]
    xray = {
        "sid": "Tracing",
        "actions": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        "resources": ["*"],
    }
    roles = set()
    for key, config in functions.items():
        statements = role_policy(aws_endpoint, config["Role"])
        roles.add(config["Role"])
        # role names are account-wide: the region keeps two regions' observatories apart
        role_name = config["Role"].rsplit("/", 1)[1]
        own_name = key if key in ("collector", "compactor") else f"probe-{key}"
        assert role_name == f"{PREFIX}-us-east-1-{own_name}"
        # what a probe needs from its creation (X-Ray for Active tracing) is in "probe"; the collector in
        # "destination", which may come later
        documents = role_documents(aws_endpoint, config["Role"])
        if key not in ("collector", "compactor"):
            assert sorted(documents) == ["destination", "probe"]
            assert [s["sid"] for s in policy_statements(documents["destination"])] == [
                "SendResultToCollector"
            ]
            assert "Tracing" in [s["sid"] for s in policy_statements(documents["probe"])]
        assert_no_wildcards(statements)
        logs = {
            "sid": "WriteOwnLogs",
            "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "resources": [
                f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{config['FunctionName']}"
                ":log-stream:*"
            ],
        }
        if key == "compactor":
            table_arn = client(aws_endpoint, "dynamodb").describe_table(
                TableName=deployment["outputs"]["dynamodb_table_name"]
            )["Table"]["TableArn"]
            expected = [
                logs,
                {
                    "sid": "ReadRowsAndDigestDays",
                    "actions": ["dynamodb:Query"],
                    "resources": sorted([table_arn, f"{table_arn}/index/by_day"]),
                },
                {
                    "sid": "WriteDigests",
                    "actions": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
                    "resources": [table_arn],
                },
                xray,
            ]
        elif key == "collector":
            table_arn = client(aws_endpoint, "dynamodb").describe_table(
                TableName=deployment["outputs"]["dynamodb_table_name"]
            )["Table"]["TableArn"]
            queue_arn = client(aws_endpoint, "sqs").get_queue_attributes(
                QueueUrl=deployment["outputs"]["dead_letter_queue_url"], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            expected = [
                logs,
                {
                    "sid": "WriteRows",
                    "actions": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
                    "resources": [table_arn],
                },
                {"sid": "RejectToDeadLetterQueue", "actions": ["sqs:SendMessage"], "resources": [queue_arn]},
                xray,
            ]
        else:
            strategy = key.rsplit("-", 2)[0]
            secret_actions = ["secretsmanager:GetSecretValue"]
            if strategy in ("caching_lib", "cloud_extensions"):  # both revalidate with DescribeSecret
                secret_actions = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
            expected = [
                logs,
                {"sid": "ReadSecretFixture", "actions": secret_actions, "resources": [secret_arn]},
            ]
            if strategy != "caching_lib":
                expected.append(
                    {
                        "sid": "ReadParameterFixture",
                        # the Parameter Store extension serves GetParameters too
                        "actions": ["ssm:GetParameter", "ssm:GetParameters"]
                        if strategy == "cloud_extensions"
                        else ["ssm:GetParameter"],
                        "resources": [parameter_arn],
                    }
                )
            expected += [
                {
                    "sid": "SendResultToCollector",
                    "actions": ["lambda:InvokeFunction"],
                    "resources": [collector["FunctionArn"]],
                },
                xray,
            ]
        assert sorted(statements, key=lambda s: s["sid"]) == sorted(expected, key=lambda s: s["sid"]), key
    assert len(roles) == len(functions), "every function has its own role"


def test_canaries_exist_but_their_values_are_nowhere_in_terraform(
    deployment: dict[str, Any], aws_endpoint: str
) -> None:
    values = [
        client(aws_endpoint, "secretsmanager").get_secret_value(SecretId=f"{PREFIX}-canary-secret")[
            "SecretString"
        ],
        client(aws_endpoint, "ssm").get_parameter(Name=f"/{PREFIX}/canary/secure", WithDecryption=True)[
            "Parameter"
        ]["Value"],
        client(aws_endpoint, "ssm").get_parameter(Name=f"/{PREFIX}/canary/string")["Parameter"]["Value"],
    ]
    assert len(set(values)) == 3 and all(len(v) >= 32 for v in values)
    ssm = client(aws_endpoint, "ssm")
    assert ssm.get_parameter(Name=f"/{PREFIX}/canary/secure")["Parameter"]["Type"] == "SecureString"
    ws: terraform.Workspace = deployment["ws"]
    assert ws.state is not None
    state_text = ws.state.read_text()
    outputs_text = json.dumps(deployment["outputs"])
    for value in values:
        assert value not in state_text
        assert value not in outputs_text


def test_alarms_watch_the_queue_and_freshness(deployment: dict[str, Any], aws_endpoint: str) -> None:
    alarms = client(aws_endpoint, "cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    by_name = {a["AlarmName"]: a for a in alarms}
    depth = by_name[f"{PREFIX}-dead-letter-not-empty"]
    assert (depth["Namespace"], depth["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": f"{PREFIX}-collector-dlq"}]
    fresh = by_name[f"{PREFIX}-no-fresh-measurements"]
    assert (fresh["Namespace"], fresh["MetricName"], fresh["TreatMissingData"]) == (
        "AWS/Lambda",
        "Invocations",
        "breaching",
    )
    assert fresh["Period"] == 300
    schedule_depth = by_name[f"{PREFIX}-schedule-dead-letter-not-empty"]
    assert schedule_depth["Dimensions"] == [{"Name": "QueueName", "Value": f"{PREFIX}-schedule-dlq"}]
    for key, name in deployment["outputs"]["probe_function_names"].items():
        quiet = by_name[f"{PREFIX}-probe-{key}-quiet"]
        assert (quiet["MetricName"], quiet["Dimensions"]) == (
            "Invocations",
            [{"Name": "FunctionName", "Value": name}],
        )
        assert (quiet["Period"], quiet["EvaluationPeriods"], quiet["TreatMissingData"]) == (
            300,
            2,
            "breaching",
        )
    groups = client(aws_endpoint, "logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{PREFIX}-")
    assert {g["retentionInDays"] for g in groups["logGroups"]} == {7}
    assert len(groups["logGroups"]) == len(deployment["outputs"]["probe_function_names"]) + 2


def test_dashboard_command_points_at_this_deployment(deployment: dict[str, Any], aws_endpoint: str) -> None:
    command = deployment["outputs"]["dashboard_command"]
    assert f"OBSERVATORY_TABLE_NAME={PREFIX}-measurements" in command
    assert f"AWS_ENDPOINT_URL={aws_endpoint}" in command
    assert "OBSERVATORY_SCHEDULE_SECONDS=300" in command and "OBSERVATORY_CACHE_TTL_SECONDS=60" in command
    assert "AWS_CA_BUNDLE" not in command  # http endpoint: no CA bundle
    assert command.endswith("make dashboard")


def test_a_second_plan_shows_no_changes(deployment: dict[str, Any]) -> None:
    plan = terraform.plan(deployment["ws"])
    assert plan["resource_changes_pending"] == []


def test_destroy_leaves_nothing_behind(deployment: dict[str, Any], aws_endpoint: str) -> None:
    assert inventory(aws_endpoint) != deployment["before"]
    remaining = terraform.destroy(deployment["ws"])
    deployment["destroyed"] = True
    assert remaining.get("values", {}).get("root_module", {}).get("resources", []) == []
    assert remaining.get("values", {}).get("root_module", {}).get("child_modules", []) == []
    assert inventory(aws_endpoint) == deployment["before"]
