# AWS's ADOT Python layer for adot probes (issue 17): by default the row of adot-layer-arns.json for the region
# (AWS's documented table, one layer for both architectures), adot_layer_arns wins over it, and a region the
# table lacks gets no default (an adot probe there, with no override, is refused at plan time).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  environment   = "lab"
  runtime       = "python3.11"
  fleet         = { runtimes = ["python3.11"], tracing = ["adot"], strategies = ["sdk"], architectures = ["x86_64", "arm64"] }
}

run "adot_probes_get_aws_s_layer_for_the_region_on_both_architectures" {
  command = plan
  assert {
    condition     = local.adot_layers["x86_64"] == "arn:aws:lambda:us-east-1:615299751070:layer:AWSOpenTelemetryDistroPython:29" && local.adot_layers["arm64"] == local.adot_layers["x86_64"]
    error_message = "layers ${jsonencode(local.adot_layers)}"
  }
}

run "adot_layer_arns_wins_over_the_table" {
  command = plan
  variables {
    adot_layer_arns = { arm64 = "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot-layer:3" }
  }
  assert {
    condition     = local.adot_layers["arm64"] == "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot-layer:3" && startswith(local.adot_layers["x86_64"], "arn:aws:lambda:us-east-1:615299751070:layer:AWSOpenTelemetryDistroPython:")
    error_message = "layers ${jsonencode(local.adot_layers)}"
  }
}

# (the refusal itself is the probes' precondition `contains(keys(local.adot_layers), architecture)`, inside
# module.probes, where expect_failures cannot reach; this run shows the region has no default to satisfy it)
run "a_region_the_table_lacks_gets_no_default_layer" {
  command = plan
  override_data {
    target = data.aws_region.current
    values = { name = "me-south-1" }
  }
  variables {
    fleet = { strategies = ["sdk"], tracing = ["subsegments"] }
  }
  assert {
    condition     = length(local.adot_layers) == 0
    error_message = "layers ${jsonencode(local.adot_layers)}"
  }
}
