# Addresses of the functions before modules/functions (up to commit 47c607f): an existing deployment moves in
# place, nothing is destroyed. Keep these blocks: a state from before them plans as 0 to add, 0 to destroy.
# (tests/unit/test_terraform_moved.py checks each `from` is gone from the configuration and each `to` exists.)

# ---- Probes: every instance keeps its catalogue key ----------------------------------------------------------

moved {
  from = aws_cloudwatch_log_group.probe
  to   = module.probes.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.probe
  to   = module.probes.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.probe
  to   = module.probes.aws_iam_role_policy.this
}

moved {
  from = aws_iam_role_policy.probe_destination
  to   = module.probes.aws_iam_role_policy.destinations
}

moved {
  from = aws_lambda_function.probe
  to   = module.probes.aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.probe
  to   = module.probes.aws_lambda_function_event_invoke_config.this
}

# ---- The collector -------------------------------------------------------------------------------------------

moved {
  from = aws_cloudwatch_log_group.collector
  to   = module.collector.aws_cloudwatch_log_group.this["collector"]
}

moved {
  from = aws_iam_role.collector
  to   = module.collector.aws_iam_role.this["collector"]
}

moved {
  from = aws_iam_role_policy.collector
  to   = module.collector.aws_iam_role_policy.this["collector"]
}

moved {
  from = aws_lambda_function.collector
  to   = module.collector.aws_lambda_function.this["collector"]
}

moved {
  from = aws_lambda_function_event_invoke_config.collector
  to   = module.collector.aws_lambda_function_event_invoke_config.this["collector"]
}

# ---- The compactor -------------------------------------------------------------------------------------------

moved {
  from = aws_cloudwatch_log_group.compactor
  to   = module.compactor.aws_cloudwatch_log_group.this["compactor"]
}

moved {
  from = aws_iam_role.compactor
  to   = module.compactor.aws_iam_role.this["compactor"]
}

moved {
  from = aws_iam_role_policy.compactor
  to   = module.compactor.aws_iam_role_policy.this["compactor"]
}

moved {
  from = aws_lambda_function.compactor
  to   = module.compactor.aws_lambda_function.this["compactor"]
}

moved {
  from = aws_lambda_function_event_invoke_config.compactor
  to   = module.compactor.aws_lambda_function_event_invoke_config.this["compactor"]
}

# home_table (several regions, one table): the table and the compactor's schedule became optional.
moved {
  from = aws_dynamodb_table.this
  to   = aws_dynamodb_table.this[0]
}

moved {
  from = aws_iam_role.compactor_schedule
  to   = aws_iam_role.compactor_schedule[0]
}

moved {
  from = aws_iam_role_policy.compactor_schedule
  to   = aws_iam_role_policy.compactor_schedule[0]
}

moved {
  from = aws_scheduler_schedule.compactor
  to   = aws_scheduler_schedule.compactor[0]
}
