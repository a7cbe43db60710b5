"""The one way the lab reaches its endpoint: boto3 clients built from its URL and the CA that signs it.

Everything in the lab that talks to the endpoint (the Lambda service, the scheduler's schedule loading, row
counts, `lab status`) is handed an `EndpointClients` and asks it for clients. Nothing reads or rewrites this
process's `os.environ` to find the endpoint; a child process (the dashboard) gets `child_environment()` merged
into the environment it is started with.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lab.endpoint.background import EndpointInfo

LAB_REGION = "us-east-1"
# The lab never talks to AWS: its clients, and every process it starts, use these fake credentials.
LAB_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class EndpointClients:
    """Builds boto3 clients for the lab endpoint at `endpoint_url`, trusting `ca_bundle`, in `region`."""

    endpoint_url: str
    ca_bundle: str | None = None
    region: str = LAB_REGION
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @classmethod
    def for_endpoint(cls, info: EndpointInfo, region: str = LAB_REGION) -> EndpointClients:
        """Clients for a running endpoint as `lab up` recorded it."""
        return cls(endpoint_url=info.url, ca_bundle=info.ca_bundle, region=region)

    def client(
        self,
        service: str,
        *,
        max_attempts: int = 3,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 60.0,
        max_pool_connections: int = 10,
    ) -> Any:
        """A new boto3 client of `service` for the endpoint, with the lab's fake credentials.

        Built from a session of its own, so this process's AWS profile, credentials files and environment
        never decide where a lab client goes.
        """
        import boto3
        import botocore.session
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            max_pool_connections=max_pool_connections,
        )
        with self._lock:  # creating clients from fresh sessions concurrently is not thread-safe in botocore
            # No profile, not even $AWS_PROFILE: one that is not configured would fail every client.
            without_profile = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
            session = boto3.session.Session(
                aws_access_key_id=LAB_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=LAB_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=LAB_CREDENTIALS["AWS_SESSION_TOKEN"],
                region_name=self.region,
                botocore_session=without_profile,
            )
            return session.client(
                service,
                endpoint_url=self.endpoint_url,
                verify=self.ca_bundle if self.ca_bundle else True,
                config=config,
            )

    def child_environment(self) -> dict[str, str]:
        """Variables that point a child process's boto3 at this endpoint, and never at AWS."""
        env = {
            **LAB_CREDENTIALS,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }
        if self.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.ca_bundle
        return env

    def child_process_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` (the environment a child would inherit) with `child_environment()` over it, and no
        `AWS_PROFILE`, which could otherwise send the child's AWS calls to a real account's settings."""
        return {k: v for k, v in base.items() if k != "AWS_PROFILE"} | self.child_environment()
