# The compactor: digests each closed UTC day of rows into eight items of the same table (collector/compactor.py).
# Same zip as the collector, another handler; an hourly EventBridge Scheduler schedule, which the lab plays too.

locals {
  # A closed day can still receive rows until Lambda gives up on its last asynchronous probe events
  # (max_event_age_seconds) and the collector's own retries (2, with backoff) have run.
  digest_settle_seconds = var.max_event_age_seconds + 900
}

module "compactor" {
  source = "./modules/functions"

  # home_table: the home region's compactor digests every region's rows of its table
  functions = !local.owns_table ? {} : {
    compactor = {
      name             = "${var.name_prefix}-compactor"
      description      = "Secret Latency Observatory compactor: digests each closed day of rows (sketches, counts)."
      role_name        = "${local.role_prefix}-compactor"
      role_description = "Execution role of the compactor: queries rows, writes daily digests to the same table."
      handler          = "collector.compactor.handler"
      runtime          = var.runtime
      architecture     = var.collector.architecture
      memory_size      = var.compactor.memory_size
      timeout          = var.compactor.timeout_seconds
      environment = merge({
        OBSERVATORY_TABLE_NAME            = local.table_name
        OBSERVATORY_DIGEST_RETENTION_DAYS = tostring(var.digest_retention_days)
        OBSERVATORY_DIGEST_SETTLE_SECONDS = tostring(local.digest_settle_seconds)
        OBSERVATORY_DIGEST_CATCH_UP_DAYS  = tostring(var.compactor.catch_up_days)
      }, local.publish_environment) # publish.tf: the open data bucket, when enabled
      policy_name   = "compactor"
      policy        = data.aws_iam_policy_document.compactor.json
      preconditions = [local.collector_zip_built]
    }
  }
  code = local.code[local.collector_zip]
  # A failed scheduled run needs no destination: the next run recomputes every day still missing.
  async_invoke = {
    maximum_retry_attempts       = 0 # the next scheduled run is the retry
    maximum_event_age_in_seconds = 3600
  }
  log_retention_days = var.log_retention_days
  tags               = local.tags
}

# ---- IAM: read the rows of a day (Query on the by_day index), write the day's digest items (PutItem) and ----
# ---- delete the items of a digest group a rewrite superseded (DeleteItem) ----------------------------------

data "aws_iam_policy_document" "compactor" {
  statement {
    sid       = "ReadRowsAndDigestDays"
    actions   = ["dynamodb:Query"]
    resources = [local.table_arn, "${local.table_arn}/index/by_day"]
  }

  statement {
    sid       = "WriteDigests"
    actions   = ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    resources = [local.table_arn]
  }

  # publish.tf: which days the bucket holds (ListBucket makes a missing key a 404), and the day's files
  dynamic "statement" {
    for_each = var.publish.enabled ? [1] : []

    content {
      sid       = "FindPublishedDays"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.publish[0].arn]
    }
  }

  dynamic "statement" {
    for_each = var.publish.enabled ? [1] : []

    content {
      sid       = "PublishOpenData"
      actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
      resources = ["${aws_s3_bucket.publish[0].arn}/${local.publish_prefix}*"]
    }
  }
}

data "aws_iam_policy_document" "compactor_schedule" {
  statement {
    sid       = "InvokeCompactor"
    actions   = ["lambda:InvokeFunction"]
    resources = [for name, arn in module.compactor.function_arns : arn]
  }
}

resource "aws_iam_role" "compactor_schedule" {
  count = local.owns_table ? 1 : 0

  name               = "${local.role_prefix}-compactor-schedule"
  description        = "Role EventBridge Scheduler assumes to invoke the compactor."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "compactor_schedule" {
  count = local.owns_table ? 1 : 0

  name   = "compactor-schedule"
  role   = aws_iam_role.compactor_schedule[0].id
  policy = data.aws_iam_policy_document.compactor_schedule.json
}

# ---- The schedule ---------------------------------------------------------------------------------------------

resource "aws_scheduler_schedule" "compactor" {
  #checkov:skip=CKV_AWS_297: the schedule holds only a fixed event naming its source; AWS owned key encryption suffices
  count = local.owns_table ? 1 : 0

  name                = "compactor"
  group_name          = aws_scheduler_schedule_group.this.name
  description         = "Digests the closed days that still change or have no digest yet."
  schedule_expression = var.compactor.schedule_expression
  state               = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.compactor.function_arns["compactor"]
    role_arn = aws_iam_role.compactor_schedule[0].arn
    input    = jsonencode({ source = "observatory.compactor" })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 300
    }
  }

  depends_on = [aws_iam_role_policy.compactor_schedule, module.compactor]
}
