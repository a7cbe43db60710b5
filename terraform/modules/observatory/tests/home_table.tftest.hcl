# Several regions, one table: a deployment with home_table (here in us-east-1, the mock's region) writes to the
# table of the home region's deployment and holds no table and no compactor of its own; its probes' keys end in
# "@us-east-1", unique beside the home region's own probes.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  fleet         = { strategies = ["sdk", "dict"] }
}

run "home_region_holds_the_table_and_the_compactor" {
  command = plan

  assert {
    condition     = length(aws_dynamodb_table.this) == 1 && length(aws_scheduler_schedule.compactor) == 1
    error_message = "without home_table the deployment holds its table and runs the compactor"
  }

  assert {
    condition     = output.table_region == "us-east-1" && output.row_keys == { "dict-128-x86_64" = "dict-128-x86_64", "sdk-128-x86_64" = "sdk-128-x86_64" }
    error_message = "without home_table rows go to this region's table under the catalogue keys"
  }
}

run "another_region_writes_to_the_home_table" {
  command = plan

  variables {
    home_table = { region = "ap-northeast-1" }
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0 && length(aws_scheduler_schedule.compactor) == 0 && length(aws_iam_role.compactor_schedule) == 0
    error_message = "under home_table the deployment holds no table and runs no compactor"
  }

  assert {
    condition     = endswith(output.dynamodb_table_arn, ":dynamodb:ap-northeast-1:123456789012:table/slo-measurements") && output.table_region == "ap-northeast-1"
    error_message = "under home_table the collector writes to the home region's table"
  }

  assert {
    condition     = output.row_keys == { "dict-128-x86_64" = "dict-128-x86_64@us-east-1", "sdk-128-x86_64" = "sdk-128-x86_64@us-east-1" }
    error_message = "under home_table every probe's key ends in this region"
  }

  assert {
    condition     = strcontains(output.dashboard_command, "AWS_REGION=ap-northeast-1") && output.compactor_function_name == null && output.compactor_cost_inputs == null
    error_message = "under home_table the dashboard reads the home region's table, and the compactor is the home region's"
  }
}

run "refused_home_table_in_its_own_region" {
  command = plan

  variables {
    home_table = { region = "us-east-1" }
  }

  expect_failures = [var.home_table]
}

run "refused_home_table_not_a_region" {
  command = plan

  variables {
    home_table = { region = "Tokyo" }
  }

  expect_failures = [var.home_table]
}
