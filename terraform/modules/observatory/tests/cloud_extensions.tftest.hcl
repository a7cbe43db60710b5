# The cloud_extensions probes (issue 18): the prefetch variant as a fleet dimension of that strategy alone, the
# runtime layer from AWS's public parameter unless overridden, the profile each probe loads (AWS) or the settings
# its emulator reads (the lab), and the role's grants.

mock_provider "aws" {
  source = "./tests/mocks"

  override_data {
    target = data.aws_ssm_parameter.cloud_extensions_layer["x86_64"]
    values = { value = "arn:aws:lambda:us-east-1:123456789012:layer:AWS-CloudExtensions-amd64:7" }
  }
}

variables {
  artifacts_dir = "tests/build"
  environment   = "aws"
  runtime       = "python3.11"
}

run "prefetch_is_a_variant_of_cloud_extensions_alone" {
  command = plan
  variables {
    fleet = { strategies = ["cloud_extensions", "dict"], memory_sizes = [128], prefetch = [false, true] }
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode([
      "cloud_extensions-128-x86_64", "cloud_extensions-128-x86_64-prefetch", "dict-128-x86_64",
    ])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition     = output.fleet["cloud_extensions-128-x86_64-prefetch"].prefetch && !output.fleet["dict-128-x86_64"].prefetch
    error_message = "prefetch ${jsonencode(output.fleet)}"
  }
}

run "only_prefetch_on_still_keeps_the_other_strategies" {
  command = plan
  variables {
    fleet = { strategies = ["cloud_extensions", "sdk"], memory_sizes = [128], prefetch = [true] }
  }
  assert {
    condition     = jsonencode(sort(keys(output.fleet))) == jsonencode(["cloud_extensions-128-x86_64-prefetch", "sdk-128-x86_64"])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
}

run "the_layer_comes_from_the_public_parameter_and_the_profile_step_runs_per_variant" {
  command = plan
  variables {
    fleet = { strategies = ["cloud_extensions"], memory_sizes = [128], prefetch = [false, true] }
  }
  assert {
    condition     = data.aws_ssm_parameter.cloud_extensions_layer["x86_64"].name == "/aws/service/aws-cloudextensions/lambda-extension/amd64/latest"
    error_message = "parameter ${data.aws_ssm_parameter.cloud_extensions_layer["x86_64"].name}"
  }
  assert {
    condition     = local.cloud_extensions_layers["x86_64"] == "arn:aws:lambda:us-east-1:123456789012:layer:AWS-CloudExtensions-amd64:7"
    error_message = "layer ${jsonencode(local.cloud_extensions_layers)}"
  }
  assert {
    condition     = jsonencode(sort(keys(terraform_data.cloud_extensions_profile))) == jsonencode(["plain", "prefetch"])
    error_message = "profiles ${jsonencode(keys(terraform_data.cloud_extensions_profile))}"
  }
  assert {
    condition     = jsondecode(terraform_data.cloud_extensions_profile["prefetch"].input.spec).entries[0].settings.prefetch.secrets[0].secretId == "slo-canary-secret"
    error_message = "spec ${terraform_data.cloud_extensions_profile["prefetch"].input.spec}"
  }
  assert {
    condition     = !can(jsondecode(terraform_data.cloud_extensions_profile["plain"].input.spec).entries[0].settings.prefetch)
    error_message = "the plain profile prefetches"
  }
  assert {
    condition     = jsondecode(terraform_data.cloud_extensions_profile["plain"].input.spec).entries[1].settings.ttlSeconds == 60
    error_message = "parameter TTL ${terraform_data.cloud_extensions_profile["plain"].input.spec}"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.probe["cloud_extensions-128-x86_64-prefetch"].statement : s if s.sid == "PrefetchSecrets"]) == 1
    error_message = "the prefetch probe cannot BatchGetSecretValue"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.probe["cloud_extensions-128-x86_64"].statement : s if s.sid == "PrefetchSecrets"]) == 0
    error_message = "the probe without prefetch may BatchGetSecretValue"
  }
}

run "an_override_skips_the_parameter_and_the_lab_gets_its_settings_not_a_profile" {
  command = plan
  variables {
    environment                 = "lab"
    fleet                       = { strategies = ["cloud_extensions"], memory_sizes = [128] }
    cloud_extensions_layer_arns = { x86_64 = "arn:aws:lambda:us-east-1:000000000000:layer:slo-cloud-extensions-emulator-x86_64:1" }
  }
  assert {
    condition     = length(data.aws_ssm_parameter.cloud_extensions_layer) == 0 && length(terraform_data.cloud_extensions_profile) == 0
    error_message = "the lab read the parameter or ran the profile step"
  }
  assert {
    condition     = jsondecode(local.cloud_extensions_lab_profiles["plain"]).secretsmanager.ssrfTokenHeaderCheck == false
    error_message = "lab profile ${local.cloud_extensions_lab_profiles["plain"]}"
  }
}

run "refused_a_layer_override_for_an_unknown_architecture_and_an_empty_prefetch_list" {
  command = plan
  variables {
    fleet                       = { strategies = ["cloud_extensions"], prefetch = [] }
    cloud_extensions_layer_arns = { amd64 = "arn:aws:lambda:us-east-1:000000000000:layer:x:1" }
  }
  expect_failures = [var.cloud_extensions_layer_arns, var.fleet]
}
