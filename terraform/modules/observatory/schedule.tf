# EventBridge Scheduler, one schedule per probe, in the fleet's own group. Chosen over EventBridge rules because
# a schedule carries its target, input and an IAM role in one resource (no resource-based lambda:permission per
# probe), it invokes Lambda asynchronously so destinations apply, it is AWS's recommended scheduler, moto
# implements it (CreateSchedule/GetSchedule/ListSchedules), and the lab reads the same fields back to play it.

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
    arn      = aws_lambda_function.probe[each.key].arn
    role_arn = aws_iam_role.scheduler.arn
    # Contract §2: even a failed invocation's destination record carries the probe's identity.
    input = jsonencode({
      source       = "observatory.schedule"
      probe_key    = each.key
      strategy     = each.value.strategy
      memory_mb    = each.value.memory_mb
      architecture = each.value.architecture
      runtime      = each.value.runtime
      tracing      = each.value.tracing
      environment  = var.environment
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
  depends_on = [aws_iam_role_policy.scheduler, aws_iam_role_policy.probe_destination, aws_lambda_function_event_invoke_config.probe]
}

# Undelivered scheduled invocations (the Scheduler's dead-letter events): a probe run that never happened.
resource "aws_sqs_queue" "schedule_dead_letter" {
  name                      = "${var.name_prefix}-schedule-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_cloudwatch_metric_alarm" "schedule_dead_letter_depth" {
  alarm_name          = "${var.name_prefix}-schedule-dead-letter-not-empty"
  alarm_description   = "Scheduled probe runs EventBridge Scheduler could not deliver are waiting in ${aws_sqs_queue.schedule_dead_letter.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.schedule_dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}
