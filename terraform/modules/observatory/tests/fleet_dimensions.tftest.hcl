# Runtimes, tracing, stores and the dependency set as fleet dimensions: the probe key scheme, what each probe
# gets, what the build is asked for, and the settings refused at plan time (envs/local's runtime and environment
# unless a run says "aws"). The wording of the refusals is pinned by
# tests/integration/terraform/test_terraform_fleet_dimensions.py (terraform console).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  environment   = "lab"
  runtime       = "python3.11"
}

run "two_runtimes_by_two_tracing_modes_make_four_probes_per_strategy_and_memory" {
  command = plan
  variables {
    fleet = {
      runtimes     = ["python3.11", "python3.9"]
      tracing      = ["subsegments", "patch_all"]
      strategies   = ["extension", "dict"]
      memory_sizes = [128]
    }
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode([
      "dict-128-x86_64", # var.runtime and subsegments: no suffix, today's key
      "dict-128-x86_64-patch_all",
      "dict-128-x86_64-py39",
      "dict-128-x86_64-py39-patch_all",
      "extension-128-x86_64",
      "extension-128-x86_64-patch_all",
      "extension-128-x86_64-py39",
      "extension-128-x86_64-py39-patch_all",
    ])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition = jsonencode(output.fleet["extension-128-x86_64-py39-patch_all"]) == jsonencode({
      strategy = "extension", memory_mb = 128, architecture = "x86_64", runtime = "python3.9", tracing = "patch_all",
      stores   = null, prefetch = false
    })
    error_message = "probe ${jsonencode(output.fleet["extension-128-x86_64-py39-patch_all"])}"
  }
  assert {
    condition     = jsonencode(output.build.runtimes) == jsonencode(["python3.11", "python3.9"])
    error_message = "build ${jsonencode(output.build)}"
  }
}

run "the_2022_replay_fleet_restricts_stores_and_asks_for_the_2022_layer" {
  command = plan
  variables {
    fleet = {
      runtimes     = ["python3.9"]
      tracing      = ["patch_all", "off"]
      strategies   = ["extension", "sdk", "dict", "caching_lib"]
      memory_sizes = [128]
      stores       = ["secretsmanager"]
    }
    dependency_set = "2022"
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode(sort([
      for pair in setproduct(["extension", "sdk", "dict", "caching_lib"], ["patch_all", "off"]) :
      "${pair[0]}-128-x86_64-py39-${pair[1]}"
    ]))
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition     = alltrue([for probe in values(output.fleet) : jsonencode(probe.stores) == jsonencode(["secretsmanager"])])
    error_message = "stores ${jsonencode([for probe in values(output.fleet) : probe.stores])}"
  }
  assert {
    condition     = jsonencode(output.build) == jsonencode({ runtime = "python3.11", runtimes = ["python3.9"], dependency_set = "2022" })
    error_message = "build ${jsonencode(output.build)}"
  }
}

# ssm only: caching_lib reads no SSM, so it has no probe rather than a probe that refuses its config
run "a_strategy_that_reads_none_of_the_stores_has_no_probe" {
  command = plan
  variables {
    fleet = { stores = ["ssm"], memory_sizes = [128] }
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode([
      "cloud_extensions-128-x86_64", "dict-128-x86_64", "extension-128-x86_64", "powertools-128-x86_64", "sdk-128-x86_64",
    ])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
}

run "refused_unknown_runtime_tracing_and_store" {
  command = plan
  variables {
    fleet = { runtimes = ["python3.8"], tracing = ["xray"], stores = ["redis"] }
  }
  expect_failures = [var.fleet]
}

run "refused_a_runtime_the_probe_does_not_run_on" {
  command = plan
  variables {
    runtime = "python3.99"
  }
  expect_failures = [var.runtime]
}

# terraform skips a variable's rules when one reads another invalid variable: dependency_set alone
run "refused_unknown_dependency_set" {
  command = plan
  variables {
    dependency_set = "1999"
  }
  expect_failures = [var.dependency_set]
}

run "refused_the_2022_set_on_another_runtime" {
  command = plan
  variables {
    fleet          = { runtimes = ["python3.9", "python3.11"] }
    dependency_set = "2022"
  }
  expect_failures = [var.dependency_set]
}

run "refused_a_store_none_of_the_strategies_reads" {
  command = plan
  variables {
    fleet = { stores = ["ssm"], strategies = ["caching_lib"] }
  }
  expect_failures = [var.fleet]
}

# ---- On AWS (envs/aws: environment "aws", python3.13, two memory tiers) ---------------------------------------

run "aws_refuses_python39_for_the_fleet" {
  command = plan
  variables {
    environment = "aws"
    runtime     = "python3.13"
    fleet       = { runtimes = ["python3.9"] }
  }
  expect_failures = [var.fleet]
}

run "aws_refuses_python310_beside_python313" {
  command = plan
  variables {
    environment = "aws"
    runtime     = "python3.13"
    fleet       = { runtimes = ["python3.13", "python3.10"] }
  }
  expect_failures = [var.fleet]
}

run "aws_deploys_two_runtimes_by_two_tracing_modes" {
  command = plan
  variables {
    environment = "aws"
    runtime     = "python3.13"
    fleet       = { runtimes = ["python3.12", "python3.13"], tracing = ["off", "subsegments"], memory_sizes = [128, 1769] }
  }
  assert {
    condition     = length(output.fleet) == 6 * 2 * 2 * 2 # strategies x memory sizes x runtimes x tracing
    error_message = "${length(output.fleet)} probes"
  }
  assert {
    condition     = contains(keys(output.fleet), "extension-1769-x86_64-py312-off") && contains(keys(output.fleet), "sdk-128-x86_64")
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition     = jsonencode(output.build) == jsonencode({ runtime = "python3.13", runtimes = ["python3.12", "python3.13"], dependency_set = "current" })
    error_message = "build ${jsonencode(output.build)}"
  }
}

# Issue 17: the OpenTelemetry modes, suffixed like the others, on python3.10+ only.
run "otel_and_adot_probes_are_keyed_like_the_other_modes" {
  command = plan
  variables {
    fleet           = { runtimes = ["python3.11"], tracing = ["off", "otel", "adot"], strategies = ["sdk"] }
    adot_layer_arns = { x86_64 = "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot-layer:1" }
  }
  assert {
    condition     = jsonencode(sort(keys(output.fleet))) == jsonencode(["sdk-128-x86_64-adot", "sdk-128-x86_64-off", "sdk-128-x86_64-otel"])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
}

run "refused_otel_on_python3_9" {
  command = plan
  variables {
    fleet = { runtimes = ["python3.9", "python3.11"], tracing = ["subsegments", "otel"] }
  }
  expect_failures = [var.fleet]
}

run "refused_adot_on_the_default_runtime_python3_9" {
  command = plan
  variables {
    fleet = { tracing = ["adot"], runtimes = ["python3.9"] }
  }
  expect_failures = [var.fleet]
}
