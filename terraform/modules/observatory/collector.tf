# The collector: receives every probe's OnSuccess/OnFailure destination record and writes rows (contract §4, §5).

resource "aws_cloudwatch_log_group" "collector" {
  #checkov:skip=CKV_AWS_158: collector logs hold validation outcomes, never a secret value; a CMK adds $1/month
  #checkov:skip=CKV_AWS_338: collector logs are short-lived diagnostics; rejected records are kept in the dead-letter queue
  name              = "/aws/lambda/${var.name_prefix}-collector"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "collector" {
  #checkov:skip=CKV_AWS_116: it is invoked asynchronously only; its failures go to the OnFailure destination, the SQS dead-letter queue
  #checkov:skip=CKV_AWS_117: the collector calls only public AWS APIs; a VPC would need a NAT gateway or endpoints, far above budget
  #checkov:skip=CKV_AWS_115: invocations are bounded by the fleet's schedule; reserving concurrency fails on new accounts' quota of 10
  #checkov:skip=CKV_AWS_173: the environment holds resource names and settings, never a secret value
  #checkov:skip=CKV_AWS_272: the code is built reproducibly from this repository and pinned by its SHA-256
  function_name    = "${var.name_prefix}-collector"
  description      = "Secret Latency Observatory collector: validates probe records and writes rows."
  role             = aws_iam_role.collector.arn
  runtime          = var.runtime
  handler          = "collector.handler.handler"
  architectures    = [var.collector.architecture]
  memory_size      = var.collector.memory_size
  timeout          = var.collector.timeout_seconds
  filename         = var.code_bucket == null ? try(local.manifest[local.collector_zip].file, "missing") : null
  s3_bucket        = var.code_bucket
  s3_key           = try(aws_s3_object.code[local.collector_zip].key, null)
  source_code_hash = try(local.manifest[local.collector_zip].sha256_b64, null)

  environment {
    variables = {
      OBSERVATORY_TABLE_NAME     = aws_dynamodb_table.this.name
      OBSERVATORY_DLQ_URL        = aws_sqs_queue.dead_letter.url
      OBSERVATORY_RETENTION_DAYS = tostring(var.retention_days)
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

  depends_on = [aws_cloudwatch_log_group.collector, aws_iam_role_policy.collector]
}

resource "aws_lambda_function_event_invoke_config" "collector" {
  function_name                = aws_lambda_function.collector.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = var.max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dead_letter.arn
    }
  }

  depends_on = [aws_iam_role_policy.collector]
}
