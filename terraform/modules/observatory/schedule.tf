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

  flexible_time_window {
    mode = "OFF"
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
      environment  = var.environment
    })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 300
    }
  }

  # A schedule fires only once its probe may read its fixtures and report to the collector.
  depends_on = [aws_iam_role_policy.scheduler, aws_iam_role_policy.probe]
}
