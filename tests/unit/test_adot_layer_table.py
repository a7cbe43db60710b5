"""AWS's ADOT Python layer table (terraform/modules/observatory/adot-layer-arns.json) is data with its
source and date, every ARN is AWS's AWSOpenTelemetryDistroPython layer in the region it is listed under, and
the lab's ADOT layer is built from the distribution release those layers carry (issue 17: "in the lab, a
layer built from the same distribution pinned to the version that layer carries")."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "terraform" / "modules" / "observatory" / "adot-layer-arns.json"
PIN = REPO / "lab" / "adot" / "requirements.txt"
ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn):lambda:(?P<region>[a-z]{2}(-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"layer:AWSOpenTelemetryDistroPython:(?P<version>[1-9]\d*)$"
)


def table() -> dict:
    return json.loads(TABLE.read_text())


def test_the_table_says_where_and_when_it_was_copied_and_which_release_it_carries() -> None:
    data = table()
    assert data["source"].startswith("https://")
    assert dt.date.fromisoformat(data["as_of"]) <= dt.date.fromisoformat(data["looked_up"])
    assert re.fullmatch(r"aws-opentelemetry-distro==\d+\.\d+\.\d+", data["distribution"])


def test_every_arn_is_aws_s_python_layer_in_its_own_region() -> None:
    regions = table()["regions"]
    assert len(regions) >= 30 and {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(regions)
    for region, arn in regions.items():
        match = ARN.match(arn)
        assert match, arn
        assert match["region"] == region
        assert match["partition"] == ("aws-cn" if region.startswith("cn-") else "aws")


def test_the_lab_s_adot_layer_pins_the_release_of_aws_s_layers() -> None:
    pins = [
        line.strip() for line in PIN.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert pins == [table()["distribution"]]
