# EventBridge Scheduler, one schedule per probe, in the fleet's own group. Chosen over EventBridge rules because
# a schedule carries its target, input and an IAM role in one resource (no resource-based lambda:permission per
# probe), it invokes Lambda asynchronously so destinations apply, it is AWS's recommended scheduler, moto
# implements it (CreateSchedule/GetSchedule/ListSchedules), and the lab reads the same fields back to play it.

locals {
  # EventBridge's rate(): the singular unit for 1, the plural above: rate(1 minute), rate(5 minutes).
  rate_format = "^rate\\((1 (minute|hour)|[2-9] (minutes|hours)|[1-9][0-9]+ (minutes|hours))\\)$"
  # The schedule's interval in seconds, read here only (null while schedule_expression is refused: its rule says
  # why). A variable's own rule cannot read a local computed from it, so its 12-hour bound is a pattern.
  schedule_rate     = try(regex("^rate\\(([0-9]+) (minute|hour)s?\\)$", var.schedule_expression), null)
  schedule_interval = try(tonumber(local.schedule_rate[0]) * (local.schedule_rate[1] == "hour" ? 3600 : 60), null)
  # Each run starts at a random moment of a flexible window after its scheduled time, so the fleet does not call
  # the stores in the same second: min(5 minutes, interval / 3); 0 (exact times) below 3 minutes.
  schedule_window_minutes = try(min(5, floor(local.schedule_interval / 180)), null)
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name_prefix
  tags = local.tags
}

resource "aws_scheduler_schedule" "probe" {
  #checkov:skip=CKV_AWS_297: the schedule holds only the probe's public identity; AWS owned key encryption suffices
  for_each = local.probes

  name                = each.key
  group_name          = aws_scheduler_schedule_group.this.name
  description         = "Runs probe ${each.key}."
  schedule_expression = var.schedule_expression
  state               = "ENABLED"

  # Spread the fleet over the interval: every probe at once would burst Parameter Store's 40 TPS default quota
  # and new accounts' concurrency. A random moment in min(5 min, interval / 3) after each scheduled time; exact
  # times below 3 minutes. cache_ttl_seconds is checked against interval - window (variables.tf).
  flexible_time_window {
    mode                      = local.schedule_window_minutes > 0 ? "FLEXIBLE" : "OFF"
    maximum_window_in_minutes = local.schedule_window_minutes > 0 ? local.schedule_window_minutes : null
  }

  target {
    arn      = module.probes.function_arns[each.key]
    role_arn = aws_iam_role.scheduler.arn
    # Contract §2: even a failed invocation's destination record carries the probe's identity.
    input = jsonencode({
      source       = "observatory.schedule"
      probe_key    = local.row_keys[each.key]
      strategy     = each.value.strategy
      memory_mb    = each.value.memory_mb
      architecture = each.value.architecture
      runtime      = each.value.runtime
      tracing      = each.value.tracing
      environment  = var.environment
      # cloud_extensions only (contract §2): its prefetch variant
      prefetch = each.value.strategy == "cloud_extensions" ? each.value.prefetch : null
    })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 300
    }

    # An invocation the Scheduler could not deliver after its retries lands here instead of being dropped.
    dead_letter_config {
      arn = aws_sqs_queue.schedule_dead_letter.arn
    }
  }

  # A schedule fires only once its probe may read its fixtures and report to the collector.
  # (module.probes: its destination policies and invoke configs.)
  depends_on = [aws_iam_role_policy.scheduler, module.probes]
}

# Undelivered scheduled invocations (the Scheduler's dead-letter events): a probe run that never happened.
# Its alarm: alarms.tf.
resource "aws_sqs_queue" "schedule_dead_letter" {
  name                      = "${var.name_prefix}-schedule-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}
