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
    condition     = jsonencode(output.build) == jsonencode({ runtime = "python3.11", runtimes = ["python3.9"], dependency_set = "2022", otel_runtimes = [], adot_runtimes = [] })
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
    condition     = jsonencode(output.build) == jsonencode({ runtime = "python3.13", runtimes = ["python3.12", "python3.13"], dependency_set = "current", otel_runtimes = [], adot_runtimes = [] })
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

# The tracing comparison (envs/local's default fleet): probes beside the cross product, on var.runtime, keyed as
# the fleet keys them; a probe in both is one probe. otel probes get the deps-otel layer of their runtime.
run "the_tracing_comparison_adds_its_probes_beside_the_fleet" {
  command = plan
  variables {
    fleet              = { strategies = ["extension", "dict"], memory_sizes = [128, 1769], runtimes = ["python3.11", "python3.12"] }
    tracing_comparison = { strategies = ["extension", "sdk"], memory_sizes = [128], tracing = ["off", "subsegments", "otel", "adot"] }
    adot_layer_arns    = { "python3.11-x86_64" = "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot-py311-x86_64:1" }
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode(sort(concat(
      [for combo in setproduct(["extension", "dict"], ["128", "1769"], ["", "-py312"]) : "${combo[0]}-${combo[1]}-x86_64${combo[2]}"],
      ["extension-128-x86_64-off", "extension-128-x86_64-otel", "extension-128-x86_64-adot"],
      ["sdk-128-x86_64", "sdk-128-x86_64-off", "sdk-128-x86_64-otel", "sdk-128-x86_64-adot"],
    )))
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition = jsonencode(output.fleet["sdk-128-x86_64-otel"]) == jsonencode({
      strategy = "sdk", memory_mb = 128, architecture = "x86_64", runtime = "python3.11", tracing = "otel",
      stores   = null, prefetch = false
    })
    error_message = "probe ${jsonencode(output.fleet["sdk-128-x86_64-otel"])}"
  }
  assert {
    condition = jsonencode(output.build) == jsonencode({
      runtime       = "python3.11", runtimes = ["python3.11", "python3.12"], dependency_set = "current",
      otel_runtimes = ["python3.11"], adot_runtimes = ["python3.11"]
    })
    error_message = "build ${jsonencode(output.build)}"
  }
  assert {
    condition     = jsonencode([for k in keys(aws_lambda_layer_version.deps) : k if startswith(k, "deps-otel-")]) == jsonencode(["deps-otel-python3.11-x86_64"])
    error_message = "otel layers ${jsonencode([for k in keys(aws_lambda_layer_version.deps) : k if startswith(k, "deps-otel-")])}"
  }
}

run "a_comparison_probe_the_fleet_has_is_one_probe_and_the_comparison_reads_the_fleets_stores" {
  command = plan
  variables {
    fleet              = { strategies = ["sdk", "caching_lib"], tracing = ["subsegments", "otel"], stores = ["ssm", "secretsmanager"] }
    tracing_comparison = { strategies = ["sdk", "caching_lib"], memory_sizes = [128], tracing = ["otel"] }
  }
  assert {
    condition = jsonencode(sort(keys(output.fleet))) == jsonencode([
      "caching_lib-128-x86_64", "caching_lib-128-x86_64-otel", "sdk-128-x86_64", "sdk-128-x86_64-otel",
    ])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
  assert {
    condition     = jsonencode(output.fleet["caching_lib-128-x86_64-otel"].stores) == jsonencode(["secretsmanager"])
    error_message = "stores ${jsonencode(output.fleet["caching_lib-128-x86_64-otel"].stores)}"
  }
}

run "no_comparison_and_no_otel_probe_plan_no_otel_layer" {
  command = plan
  variables {
    fleet           = { tracing = ["off", "adot"] }
    adot_layer_arns = { x86_64 = "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot-layer:1" } # for every runtime
  }
  assert {
    condition     = length([for k in keys(aws_lambda_layer_version.deps) : k if startswith(k, "deps-otel-")]) == 0 && length(output.build.otel_runtimes) == 0
    error_message = "otel layers ${jsonencode([for k in keys(aws_lambda_layer_version.deps) : k if startswith(k, "deps-otel-")])}"
  }
}

run "refused_a_comparison_outside_the_vocabulary_or_missing_a_list" {
  command = plan
  variables {
    tracing_comparison = { strategies = ["redis"], memory_sizes = [64], tracing = ["xray"] }
  }
  expect_failures = [var.tracing_comparison]
}

run "refused_a_comparison_without_memory_sizes" {
  command = plan
  variables {
    tracing_comparison = { strategies = ["sdk"], tracing = ["off"] }
  }
  expect_failures = [var.tracing_comparison]
}

run "refused_otel_in_the_comparison_on_python3_9" {
  command = plan
  variables {
    runtime            = "python3.9"
    tracing_comparison = { strategies = ["sdk"], memory_sizes = [128], tracing = ["off", "otel"] }
  }
  expect_failures = [var.tracing_comparison]
}

run "refused_an_adot_layer_key_that_is_neither_an_architecture_nor_a_runtime_and_architecture" {
  command = plan
  variables {
    adot_layer_arns = { "py311-x86_64" = "arn:aws:lambda:us-east-1:123456789012:layer:slo-adot:1" }
  }
  expect_failures = [var.adot_layer_arns]
}

run "refused_a_comparison_whose_warm_samples_cannot_finish_at_its_memory" {
  command = plan
  variables {
    fleet              = { memory_sizes = [1769] }
    warm_samples       = 1400 # 1400 x 2 x 0.04 s + 10 s = 122 s > 120 s at 128 MB; 18 s at 1769
    tracing_comparison = { strategies = ["extension"], memory_sizes = [128], tracing = ["off"] }
  }
  expect_failures = [var.tracing_comparison]
}
