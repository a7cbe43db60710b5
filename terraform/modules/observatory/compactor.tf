# The compactor: digests each closed UTC day of rows into eight items of the same table (collector/compactor.py).
# Same zip as the collector, another handler; an hourly EventBridge Scheduler schedule, which the lab plays too.

locals {
  # A closed day can still receive rows until Lambda gives up on its last asynchronous probe events
  # (max_event_age_seconds) and the collector's own retries (2, with backoff) have run.
  digest_settle_seconds = var.max_event_age_seconds + 900
}

resource "aws_cloudwatch_log_group" "compactor" {
  #checkov:skip=CKV_AWS_158: compactor logs hold day counts and sizes, never a secret value; a CMK adds $1/month
  #checkov:skip=CKV_AWS_338: compactor logs are short-lived diagnostics; a missed run is caught up by the next
  name              = "/aws/lambda/${var.name_prefix}-compactor"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "compactor" {
  #checkov:skip=CKV_AWS_116: a failed scheduled run needs no dead-letter queue: the next run recomputes every day still missing
  #checkov:skip=CKV_AWS_117: the compactor calls only DynamoDB's public API; a VPC would need a NAT gateway or endpoints, far above budget
  #checkov:skip=CKV_AWS_115: one scheduled run an hour; reserving concurrency fails on new accounts' quota of 10
  #checkov:skip=CKV_AWS_173: the environment holds the table name and day counts, never a secret value
  #checkov:skip=CKV_AWS_272: the code is built reproducibly from this repository and pinned by its SHA-256
  function_name    = "${var.name_prefix}-compactor"
  description      = "Secret Latency Observatory compactor: digests each closed day of rows (sketches, counts)."
  role             = aws_iam_role.compactor.arn
  runtime          = var.runtime
  handler          = "collector.compactor.handler"
  architectures    = [var.collector.architecture]
  memory_size      = var.compactor.memory_size
  timeout          = var.compactor.timeout_seconds
  filename         = var.code_bucket == null ? try(local.manifest[local.collector_zip].file, "missing") : null
  s3_bucket        = var.code_bucket
  s3_key           = try(aws_s3_object.code[local.collector_zip].key, null)
  source_code_hash = try(local.manifest[local.collector_zip].sha256_b64, null)

  environment {
    variables = {
      OBSERVATORY_TABLE_NAME            = aws_dynamodb_table.this.name
      OBSERVATORY_DIGEST_RETENTION_DAYS = tostring(var.digest_retention_days)
      OBSERVATORY_DIGEST_SETTLE_SECONDS = tostring(local.digest_settle_seconds)
      OBSERVATORY_DIGEST_CATCH_UP_DAYS  = tostring(var.compactor.catch_up_days)
    }
  }

  tracing_config {
    mode = "Active"
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = contains(keys(local.manifest), "collector-${var.runtime}-${var.collector.architecture}.zip")
      error_message = "${var.artifacts_dir}/manifest.json lists no collector-${var.runtime}-${var.collector.architecture}.zip: run `make build` (python -m tools.build --out ${var.artifacts_dir})."
    }
  }

  depends_on = [aws_cloudwatch_log_group.compactor, aws_iam_role_policy.compactor]
}

resource "aws_lambda_function_event_invoke_config" "compactor" {
  function_name                = aws_lambda_function.compactor.function_name
  maximum_retry_attempts       = 0 # the next scheduled run is the retry
  maximum_event_age_in_seconds = 3600
}

# ---- IAM: read the rows of a day (Query on the by_day index), write the day's digest items (PutItem) and ----
# ---- delete the items of a digest group a rewrite superseded (DeleteItem) ----------------------------------

data "aws_iam_policy_document" "compactor" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.compactor.arn}:log-stream:*"]
  }

  statement {
    sid       = "ReadRowsAndDigestDays"
    actions   = ["dynamodb:Query"]
    resources = [aws_dynamodb_table.this.arn, "${aws_dynamodb_table.this.arn}/index/by_day"]
  }

  statement {
    sid       = "WriteDigests"
    actions   = ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "compactor" {
  name               = "${local.role_prefix}-compactor"
  description        = "Execution role of the compactor: queries rows, writes daily digests to the same table."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "compactor" {
  name   = "compactor"
  role   = aws_iam_role.compactor.id
  policy = data.aws_iam_policy_document.compactor.json
}

data "aws_iam_policy_document" "compactor_schedule" {
  statement {
    sid       = "InvokeCompactor"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.compactor.arn]
  }
}

resource "aws_iam_role" "compactor_schedule" {
  name               = "${local.role_prefix}-compactor-schedule"
  description        = "Role EventBridge Scheduler assumes to invoke the compactor."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "compactor_schedule" {
  name   = "compactor-schedule"
  role   = aws_iam_role.compactor_schedule.id
  policy = data.aws_iam_policy_document.compactor_schedule.json
}

# ---- The schedule ---------------------------------------------------------------------------------------------

resource "aws_scheduler_schedule" "compactor" {
  #checkov:skip=CKV_AWS_297: the schedule holds only a fixed event naming its source; AWS owned key encryption suffices
  name                = "compactor"
  group_name          = aws_scheduler_schedule_group.this.name
  description         = "Digests the closed days that still change or have no digest yet."
  schedule_expression = var.compactor.schedule_expression
  state               = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.compactor.arn
    role_arn = aws_iam_role.compactor_schedule.arn
    input    = jsonencode({ source = "observatory.compactor" })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 300
    }
  }

  depends_on = [aws_iam_role_policy.compactor_schedule, aws_iam_role_policy.compactor]
}
