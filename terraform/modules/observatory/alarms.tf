# Every CloudWatch alarm, each notifying var.alarm_actions when it fires and when it clears: a dead-letter queue
# not empty (the collector's, the schedules'), no fresh measurements at all, and one per probe gone quiet.

locals {
  # CloudWatch periods above an hour must be whole hours; two periods stay within the 1-day limit (<= 12 h).
  freshness_period = local.schedule_interval <= 3600 ? local.schedule_interval : ceil(local.schedule_interval / 3600) * 3600
}

resource "aws_cloudwatch_metric_alarm" "dead_letter_depth" {
  alarm_name          = "${var.name_prefix}-dead-letter-not-empty"
  alarm_description   = "Records the collector could not store are waiting in ${aws_sqs_queue.dead_letter.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
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

resource "aws_cloudwatch_metric_alarm" "freshness" {
  alarm_name          = "${var.name_prefix}-no-fresh-measurements"
  alarm_description   = "The collector has not run for two schedule intervals: no new measurements are arriving."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = module.collector.function_names["collector"] }
  statistic           = "Sum"
  period              = local.freshness_period
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

# One alarm per probe: the freshness alarm fires only when every probe stops, this one when one does (its
# schedule cannot deliver, its function was deleted or throttled away). Runs are at most interval + window apart
# (schedule.tf), less than two periods, so a healthy probe never trips it.
resource "aws_cloudwatch_metric_alarm" "probe_quiet" {
  for_each = local.probes

  alarm_name          = "${var.name_prefix}-probe-${each.key}-quiet"
  alarm_description   = "Probe ${each.key} has not run for two schedule intervals: its measurements stopped."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = module.probes.function_names[each.key] }
  statistic           = "Sum"
  period              = local.freshness_period
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}
