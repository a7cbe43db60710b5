"""Reading what the endpoint says about a function: its configuration, its layers, its event invoke config.

Every read goes to the endpoint (a warm environment whose code changed must be retired), so callers read once
per invocation or async attempt and pass the answer on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .lambda_errors import FunctionNotFoundError, LambdaServiceError
from .spec import FunctionSpec

DEFAULT_MAX_RETRIES = 2  # Lambda's MaximumRetryAttempts when no event invoke config is set
DEFAULT_MAX_EVENT_AGE_S = 21600  # and its MaximumEventAgeInSeconds (6 h)


class ClientFactory(Protocol):
    """What the runtime needs of `lab.endpoint.clients.EndpointClients` (a test may pass a fake)."""

    @property
    def endpoint_url(self) -> str: ...

    @property
    def ca_bundle(self) -> str | None: ...

    def client(self, service: str) -> Any: ...


class LazyClient:
    """One boto3 client of `service`, made on first use (thread-safe): building the service costs no boto3."""

    def __init__(self, clients: ClientFactory, service: str) -> None:
        self._clients = clients
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._clients.client(self._service)
            return self._client


@dataclass(frozen=True)
class EventInvokeConfig:
    """A function's async settings (GetFunctionEventInvokeConfig), Lambda's defaults where unset."""

    max_retries: int = DEFAULT_MAX_RETRIES
    max_event_age_s: int = DEFAULT_MAX_EVENT_AGE_S
    on_success: str | None = None
    on_failure: str | None = None

    def destination(self, success: bool) -> str | None:
        """Where an event's record goes: OnSuccess after a success, OnFailure otherwise."""
        return self.on_success if success else self.on_failure


class ControlPlane:
    """Reads function configurations, layer hashes and event invoke configs from the lab endpoint."""

    def __init__(self, clients: ClientFactory, log: Callable[[str], None]) -> None:
        self.endpoint_url = clients.endpoint_url
        self._lambda = LazyClient(clients, "lambda")
        self._emit = log

    def function_spec(self, function_name: str) -> FunctionSpec:
        """The function's configuration as the endpoint has it now (FunctionNotFoundError if it has none)."""
        from botocore.exceptions import ClientError

        try:
            config = self._lambda.get().get_function_configuration(FunctionName=function_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise FunctionNotFoundError(
                    f"function {function_name!r} is not deployed at the endpoint {self.endpoint_url}"
                ) from exc
            raise LambdaServiceError(
                f"cannot read function {function_name!r} from {self.endpoint_url}: {exc}"
            ) from exc
        if config.get("PackageType", "Zip") != "Zip":
            raise LambdaServiceError(f"{function_name}: only Zip functions can run in the lab")
        return FunctionSpec(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            handler=config["Handler"],
            runtime=config.get("Runtime", ""),
            memory_mb=int(config.get("MemorySize", 128)),
            timeout_s=float(config.get("Timeout", 3)),
            code_sha256=config["CodeSha256"],
            last_modified=str(config.get("LastModified", "")),
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
            tracing_active=config.get("TracingConfig", {}).get("Mode") == "Active",
            dead_letter_arn=config.get("DeadLetterConfig", {}).get("TargetArn"),
        )

    def layer_sha(self, arn: str) -> str:
        """The CodeSha256 of a layer version. GetLayerVersion first: it answers the same question as
        GetLayerVersionByArn, which moto does not implement (it fails with a 500 that botocore retries)."""
        from botocore.exceptions import ClientError

        parts = arn.split(":")
        if len(parts) != 8 or parts[5] != "layer" or not parts[7].isdigit():
            raise LambdaServiceError(f"not a layer version ARN: {arn}")
        client = self._lambda.get()
        try:
            response = client.get_layer_version(LayerName=parts[6], VersionNumber=int(parts[7]))
        except ClientError as first:
            try:
                response = client.get_layer_version_by_arn(Arn=arn)
            except ClientError as exc:
                raise LambdaServiceError(f"cannot read layer {arn}: {first}; {exc}") from exc
        return str(response["Content"]["CodeSha256"])

    def event_invoke_config(self, function_name: str) -> EventInvokeConfig:
        """The function's retries, maximum event age and destinations (Lambda's defaults if none is set)."""
        from botocore.exceptions import ClientError

        try:
            config = dict(self._lambda.get().get_function_event_invoke_config(FunctionName=function_name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise LambdaServiceError(
                    f"cannot read the event invoke config of {function_name}: {exc}"
                ) from exc
            config = {}
        destinations = config.get("DestinationConfig", {})
        return EventInvokeConfig(
            max_retries=int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            max_event_age_s=int(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)),
            on_success=destinations.get("OnSuccess", {}).get("Destination"),
            on_failure=destinations.get("OnFailure", {}).get("Destination"),
        )
