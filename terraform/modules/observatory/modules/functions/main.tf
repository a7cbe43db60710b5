# A Lambda function as this observatory deploys every one: its log group, its own execution role with inline
# policies (its own logs and X-Ray added to what it does), the function with Active tracing, and its
# asynchronous-invoke config. One resource of each kind, for_each over var.functions, so a fleet's instances keep
# their keys (the probes' catalogue keys) and a deployment from before this module moves in place (../../moved.tf).

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level scoping: the only "*" resource.
data "aws_iam_policy_document" "tracing" {
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# Its own log streams first, then what the function does, then X-Ray (override documents are appended in order).
data "aws_iam_policy_document" "this" {
  for_each = var.functions

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:log-stream:*"]
  }

  override_policy_documents = [each.value.policy, data.aws_iam_policy_document.tracing.json]
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158: the functions log timings, counts and errors, never a secret value; a CMK adds $1/month
  #checkov:skip=CKV_AWS_338: logs are short-lived diagnostics; measurements live in DynamoDB, rejected records in the dead-letter queue
  for_each = var.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  for_each = var.functions

  name               = each.value.role_name
  description        = each.value.role_description
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

# What the function needs from its creation: Lambda checks, when it creates a function with Active tracing,
# that the role can already call X-Ray, so the function waits for this policy.
resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name   = each.value.policy_name
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}

# What names a resource created later (the probes' destination, the collector): only the invoke config waits.
resource "aws_iam_role_policy" "destinations" {
  for_each = { for key, function in var.functions : key => function.name if var.destinations_policy != null }

  name   = var.destinations_policy.name
  role   = aws_iam_role.this[each.key].id
  policy = var.destinations_policy.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116: asynchronous failures go to an OnFailure destination (a probe's: the collector; the collector's: the dead-letter queue); the compactor's next scheduled run is its retry
  #checkov:skip=CKV_AWS_117: the functions call only public AWS APIs; a VPC would need a NAT gateway or endpoints, far above budget
  #checkov:skip=CKV_AWS_115: invocations are bounded by the schedules; reserving concurrency fails on new accounts' quota of 10
  #checkov:skip=CKV_AWS_173: the environment holds resource names and settings, never a secret value
  #checkov:skip=CKV_AWS_272: the code is built reproducibly from this repository and pinned by its SHA-256
  #checkov:skip=CKV_AWS_50: each function's tracing_mode is Active except the `off` probes' PassThrough (their baseline, issue 17); checkov cannot read the per-function value
  for_each = var.functions

  function_name    = each.value.name
  description      = each.value.description
  role             = aws_iam_role.this[each.key].arn
  runtime          = each.value.runtime
  handler          = each.value.handler
  architectures    = [each.value.architecture]
  memory_size      = each.value.memory_size
  timeout          = each.value.timeout
  filename         = var.code.filename
  s3_bucket        = var.code.s3_bucket
  s3_key           = var.code.s3_key
  source_code_hash = var.code.source_code_hash
  layers           = each.value.layers

  environment {
    variables = each.value.environment
  }

  tracing_config {
    mode = each.value.tracing_mode
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for check in each.value.preconditions : check.condition])
      error_message = join(" ", [for check in each.value.preconditions : check.error_message if !check.condition])
    }
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = var.functions

  function_name                = aws_lambda_function.this[each.key].function_name
  maximum_retry_attempts       = var.async_invoke.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invoke.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = length(var.async_invoke.destinations) > 0 ? [var.async_invoke.destinations] : []

    content {
      dynamic "on_success" {
        for_each = contains(keys(destination_config.value), "on_success") ? [destination_config.value.on_success] : []

        content {
          destination = on_success.value
        }
      }

      dynamic "on_failure" {
        for_each = contains(keys(destination_config.value), "on_failure") ? [destination_config.value.on_failure] : []

        content {
          destination = on_failure.value
        }
      }
    }
  }

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.destinations]
}
