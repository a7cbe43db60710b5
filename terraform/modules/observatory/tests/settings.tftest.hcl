# The fleet's and the deployment's own settings refused before apply (envs/aws's defaults otherwise). The wording
# of these messages is pinned by tests/integration/terraform/test_terraform_settings.py (terraform console).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  environment   = "aws"
}

run "refused_unknown_strategy_memory_architecture_ttl_retention_and_prefix" {
  command = plan
  variables {
    fleet               = { strategies = ["sdk", "redis"], memory_sizes = [64], architectures = ["sparc"] }
    schedule_expression = "rate(15 minutes)"
    cache_ttl_seconds   = 900
    log_retention_days  = 13
    name_prefix         = "Bad_Prefix"
  }
  expect_failures = [var.fleet, var.cache_ttl_seconds, var.log_retention_days, var.name_prefix]
}

run "refused_memory_past_lambdas_range" {
  command = plan
  variables {
    fleet     = { memory_sizes = [128, 10241] }
    collector = { memory_size = 127 }
    compactor = { memory_size = 10241 }
  }
  expect_failures = [var.fleet, var.collector, var.compactor]
}

run "accepted_lambdas_memory_range" {
  command = plan
  variables {
    fleet     = { strategies = ["dict"], memory_sizes = [128, 10240] }
    collector = { memory_size = 128 }
    compactor = { memory_size = 10240 }
  }
  assert {
    condition     = jsonencode(sort(keys(output.fleet))) == jsonencode(["dict-10240-x86_64", "dict-128-x86_64"])
    error_message = "fleet ${jsonencode(keys(output.fleet))}"
  }
}

run "refused_compactor_schedule_plural_for_one" {
  command = plan
  variables {
    compactor = { schedule_expression = "rate(1 hours)" }
  }
  expect_failures = [var.compactor]
}
