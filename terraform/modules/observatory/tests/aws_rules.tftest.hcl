# What a real AWS account refuses, refused before apply, and what it accepts, accepted: the module's variable
# rules as envs/aws applies them (environment "aws", its two memory tiers). The wording of each family of
# messages is pinned by tests/integration/terraform/test_terraform_aws_rules.py (terraform console).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  environment   = "aws"
  fleet         = { memory_sizes = [128, 1769] }
}

# ---- Refused ----------------------------------------------------------------------------------------------------

run "refused_old_runtime_no_ttl_no_samples" {
  command = plan
  variables {
    runtime           = "python3.10"
    cache_ttl_seconds = 0
    warm_samples      = 0
  }
  expect_failures = [var.runtime, var.cache_ttl_seconds, var.warm_samples]
}

# 1400 x 2 stores x 0.04 s + 10 s = 122 s > the 120 s default timeout at 128 MB
run "refused_new_runtime_plural_for_one_samples_past_the_timeout" {
  command = plan
  variables {
    runtime             = "python3.14"
    schedule_expression = "rate(1 minutes)"
    warm_samples        = 1400
  }
  expect_failures = [var.runtime, var.schedule_expression, var.warm_samples]
}

run "refused_deprecated_runtime_ttl_past_300_sdk_samples_past_the_timeout" {
  command = plan
  variables {
    runtime           = "python3.9"
    cache_ttl_seconds = 301
    sdk_warm_samples  = 300
  }
  expect_failures = [var.runtime, var.cache_ttl_seconds, var.sdk_warm_samples]
}

# rate(5 minutes) spreads runs over a 1-minute window: two runs can be 240 s apart.
run "refused_ttl_past_the_gap_between_runs" {
  command = plan
  variables {
    schedule_expression   = "rate(5 minutes)"
    cache_ttl_seconds     = 250
    warm_samples          = 5000
    probe_timeout_seconds = 300
  }
  expect_failures = [var.cache_ttl_seconds, var.warm_samples]
}

run "refused_singular_for_five" {
  command = plan
  variables {
    schedule_expression = "rate(5 minute)"
    sdk_warm_samples    = 300
  }
  expect_failures = [var.schedule_expression, var.sdk_warm_samples]
}

run "refused_plural_for_one_hour" {
  command = plan
  variables {
    schedule_expression = "rate(1 hours)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_singular_for_two_hours" {
  command = plan
  variables {
    schedule_expression = "rate(2 hour)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_past_twelve_hours" {
  command = plan
  variables {
    schedule_expression = "rate(721 minutes)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_cron" {
  command = plan
  variables {
    schedule_expression = "cron(0 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

# ---- Accepted: the edges ----------------------------------------------------------------------------------------

# 1375 x 0.08 s + 10 s = 120 s; 275 x 0.4 s + 10 s = 120 s; no window below 3 minutes
run "accepted_one_minute_and_the_most_samples_at_128_mb" {
  command = plan
  variables {
    runtime             = "python3.11"
    schedule_expression = "rate(1 minute)"
    cache_ttl_seconds   = 59
    warm_samples        = 1375
    sdk_warm_samples    = 275
  }
  assert {
    condition     = output.build.runtime == "python3.11"
    error_message = "runtime ${output.build.runtime}"
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 60 && output.cost_inputs.schedule_window_s == 0
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s, window ${output.cost_inputs.schedule_window_s} s"
  }
}

run "accepted_five_minutes" {
  command = plan
  variables {
    runtime             = "python3.12"
    schedule_expression = "rate(5 minutes)"
    cache_ttl_seconds   = 239
  }
  assert {
    condition     = output.build.runtime == "python3.12"
    error_message = "runtime ${output.build.runtime}"
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 300 && output.cost_inputs.schedule_window_s == 60
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s, window ${output.cost_inputs.schedule_window_s} s"
  }
}

# at 1,769 MB a hit costs 0.04 s x 128 / 1769: 10000 hits fit in 68 s
run "accepted_one_hour_and_ten_thousand_hits_at_1769_mb" {
  command = plan
  variables {
    schedule_expression = "rate(1 hour)"
    cache_ttl_seconds   = 300
    fleet               = { memory_sizes = [1769] }
    warm_samples        = 10000
  }
  assert {
    condition     = output.build.runtime == "python3.13"
    error_message = "runtime ${output.build.runtime}"
  }
  assert {
    condition = (
      output.cost_inputs.schedule_interval_s == 3600 && output.cost_inputs.schedule_window_s == 300 &&
      output.cost_inputs.warm_samples == 10000
    )
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s, window ${output.cost_inputs.schedule_window_s} s"
  }
}

run "accepted_twelve_hours" {
  command = plan
  variables {
    schedule_expression   = "rate(12 hours)"
    warm_samples          = 5000
    probe_timeout_seconds = 900
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 43200 && output.cost_inputs.schedule_window_s == 300
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s, window ${output.cost_inputs.schedule_window_s} s"
  }
}

run "accepted_720_minutes" {
  command = plan
  variables {
    schedule_expression = "rate(720 minutes)"
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 43200
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s"
  }
}

run "accepted_two_hours" {
  command = plan
  variables {
    schedule_expression = "rate(2 hours)"
    cache_ttl_seconds   = 300
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 7200
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s"
  }
}

run "accepted_three_minutes" {
  command = plan
  variables {
    schedule_expression = "rate(3 minutes)"
    cache_ttl_seconds   = 119
  }
  assert {
    condition     = output.cost_inputs.schedule_interval_s == 180 && output.cost_inputs.schedule_window_s == 60
    error_message = "interval ${output.cost_inputs.schedule_interval_s} s, window ${output.cost_inputs.schedule_window_s} s"
  }
}

# ---- What AWS itself refuses at apply (issue 20) ------------------------------------------------------------------

run "refused_name_prefix_default_is_the_schedulers_own_group" {
  command = plan
  variables {
    name_prefix = "default"
  }
  expect_failures = [var.name_prefix]
}

run "accepted_name_prefix_that_only_contains_default" {
  command = plan
  variables {
    name_prefix = "default-obs"
  }
  assert {
    condition     = output.schedule_group_name == "default-obs"
    error_message = "a prefix that merely starts with default is allowed"
  }
}

run "refused_memory_above_the_accounts_limit" {
  command = plan
  variables {
    max_memory_mb = 1024
  }
  expect_failures = [var.max_memory_mb]
}

run "accepted_memory_at_the_accounts_limit" {
  command = plan
  variables {
    max_memory_mb = 1769
  }
  assert {
    condition     = max([for p in values(output.fleet) : p.memory_mb]...) == 1769
    error_message = "a fleet whose largest tier equals max_memory_mb is planned"
  }
}

run "refused_code_bucket_in_another_region" {
  command = plan
  variables {
    code_bucket = "artifacts-in-ireland"
  }
  override_data {
    target = data.aws_s3_bucket.code[0]
    values = { region = "eu-west-1" }
  }
  expect_failures = [data.aws_s3_bucket.code[0]]
}

run "accepted_code_bucket_in_the_deployments_region" {
  command = plan
  variables {
    code_bucket = "artifacts-in-virginia"
  }
  assert {
    condition     = length(data.aws_s3_bucket.code) == 1
    error_message = "the code bucket's region is read on AWS"
  }
}
