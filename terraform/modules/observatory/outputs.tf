output "dynamodb_table_name" {
  description = "The measurements table (OBSERVATORY_TABLE_NAME for the dashboard)."
  value       = local.table_name
}

output "dynamodb_table_arn" {
  description = "ARN of the measurements table."
  value       = local.table_arn
}

output "table_region" {
  description = "Region of the measurements table: this one, or home_table's."
  value       = local.table_region
}

output "row_keys" {
  description = "The probe key each probe's rows carry, per catalogue key: the same, or \"{key}@{region}\" under home_table."
  value       = local.row_keys
}

output "probe_function_names" {
  description = "Probe function name per catalogue key ({strategy}-{memory}-{arch}[-py3X][-{tracing}])."
  value       = module.probes.function_names
}

output "collector_function_name" {
  description = "The collector function."
  value       = module.collector.function_names["collector"]
}

output "dead_letter_queue_url" {
  description = "The collector's dead-letter queue (records it could not store)."
  value       = aws_sqs_queue.dead_letter.url
}

output "schedule_dead_letter_queue_url" {
  description = "The schedules' dead-letter queue (scheduled probe runs that could not be delivered)."
  value       = aws_sqs_queue.schedule_dead_letter.url
}

output "schedule_group_name" {
  description = "EventBridge Scheduler group holding one schedule per probe, named by its key."
  value       = aws_scheduler_schedule_group.this.name
}

output "secret_name" {
  description = "Name of the Secrets Manager fixture (never its value)."
  value       = aws_secretsmanager_secret.this.name
}

output "parameter_names" {
  description = "Names of the SSM fixtures (never their values)."
  value       = { string = aws_ssm_parameter.string.name, secure = aws_ssm_parameter.secure.name }
}

output "alarm_names" {
  description = "CloudWatch alarms: a dead-letter queue not empty, no fresh measurements, then one per probe gone quiet."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.dead_letter_depth.alarm_name,
      aws_cloudwatch_metric_alarm.schedule_dead_letter_depth.alarm_name,
      aws_cloudwatch_metric_alarm.freshness.alarm_name,
    ],
    [for key in sort(keys(local.probes)) : aws_cloudwatch_metric_alarm.probe_quiet[key].alarm_name],
  )
}

output "fleet" {
  description = "The deployed catalogue: key => {strategy, memory_mb, architecture, runtime, tracing, stores, prefetch (cloud_extensions only true)}."
  value       = local.probes
}

output "dashboard_command" {
  description = "Shell command that opens the dashboard on this deployment's table."
  value = join(" ", concat(
    [for name, value in merge(
      {
        AWS_REGION                    = local.table_region
        OBSERVATORY_TABLE_NAME        = local.table_name
        OBSERVATORY_SCHEDULE_SECONDS  = tostring(local.schedule_interval)
        OBSERVATORY_CACHE_TTL_SECONDS = tostring(var.cache_ttl_seconds)
      },
      var.dashboard_environment,
    ) : "${name}=${value}"],
    ["make dashboard"],
  ))
}

output "cost_inputs" {
  description = "What `make cost` needs to estimate this fleet's monthly bill (known before apply)."
  value = {
    probes                 = local.probes
    schedule_interval_s    = local.schedule_interval
    schedule_window_s      = local.schedule_window_minutes * 60
    alarms                 = 3 + length(local.probes)
    warm_samples           = var.warm_samples
    sdk_warm_samples       = var.sdk_warm_samples
    retention_days         = var.retention_days
    log_retention_days     = var.log_retention_days
    collector_memory_mb    = var.collector.memory_size
    collector_architecture = var.collector.architecture
    secrets                = 1
    standard_parameters    = 2
    async_retry_attempts   = var.async_retry_attempts
  }
}

output "compactor_function_name" {
  description = "The compactor function (daily digests; invoke it with {\"days\": [\"YYYY-MM-DD\"]} to recompute days)."
  value       = try(module.compactor.function_names["compactor"], null) # null under home_table
}

output "compactor_cost_inputs" {
  description = "What `make cost` needs to estimate the compactor and the digest items (null under home_table: the home region's)."
  value = !local.owns_table ? null : {
    memory_mb             = var.compactor.memory_size
    architecture          = var.collector.architecture
    schedule_expression   = var.compactor.schedule_expression
    digest_retention_days = var.digest_retention_days
    settle_seconds        = local.digest_settle_seconds
  }
}

output "build" {
  description = "What `make build` builds for this deployment: the functions' runtime, the probes' runtimes and dependency set, the runtimes of the otel probes (their OpenTelemetry layer) and of the adot probes (the lab builds their ADOT layer) (tools/build_targets.py reads it through each env's local.build)."
  value = {
    runtime        = var.runtime
    runtimes       = local.runtimes
    dependency_set = var.dependency_set
    otel_runtimes  = sort(distinct([for probe in values(local.probes) : probe.runtime if probe.tracing == "otel"]))
    adot_runtimes  = sort(distinct([for probe in values(local.probes) : probe.runtime if probe.tracing == "adot"]))
  }
}

output "publish_bucket_name" {
  description = "The open data bucket the compactor publishes each settled day to (null when publish is off)."
  value       = var.publish.enabled ? aws_s3_bucket.publish[0].bucket : null
}

output "publish_url" {
  description = "Where the published files are read: their public HTTPS address with public_read, else s3://bucket/prefix/ (readers need s3:GetObject)."
  value = !var.publish.enabled ? null : (
    var.publish.public_read
    ? "https://${aws_s3_bucket.publish[0].bucket_regional_domain_name}/${local.publish_prefix}"
    : "s3://${aws_s3_bucket.publish[0].bucket}/${local.publish_prefix}"
  )
}
