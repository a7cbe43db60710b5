# One execution role per function, each allowed exactly what that function does, on named ARNs.
# The only "*" resource is X-Ray's PutTraceSegments/PutTelemetryRecords, which support no resource-level scoping.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---- Probes ---------------------------------------------------------------------------------------------------
# Two policies per probe role. "probe" holds what the function needs from its creation: Lambda checks, when it
# creates a function with Active tracing, that the role can already call X-Ray, so the function waits for this
# policy (probes.tf depends_on). "destination" names the collector, which comes later; only the probe's async
# invoke config waits for it.

data "aws_iam_policy_document" "probe" {
  for_each = local.probes

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.probe[each.key].arn}:log-stream:*"]
  }

  statement {
    sid = "ReadSecretFixture"
    # SecretCache describes the secret before reading its version; the AWS managed key needs no kms:Decrypt grant.
    actions   = each.value.strategy == "caching_lib" ? ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"] : ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.this.arn]
  }

  # caching_lib (aws-secretsmanager-caching) reads Secrets Manager only, so it gets no SSM grant.
  dynamic "statement" {
    for_each = each.value.strategy == "caching_lib" ? [] : [aws_ssm_parameter.secure.arn]

    content {
      sid       = "ReadParameterFixture"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "probe_destination" {
  statement {
    sid       = "SendResultToCollector"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.collector.arn]
  }
}

resource "aws_iam_role" "probe" {
  for_each = local.probes

  name               = local.probe_role_names[each.key]
  description        = "Execution role of probe ${each.key}: reads the fixtures, reports to the collector."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "probe" {
  for_each = local.probes

  name   = "probe"
  role   = aws_iam_role.probe[each.key].id
  policy = data.aws_iam_policy_document.probe[each.key].json
}

resource "aws_iam_role_policy" "probe_destination" {
  for_each = local.probes

  name   = "destination"
  role   = aws_iam_role.probe[each.key].id
  policy = data.aws_iam_policy_document.probe_destination.json
}

# ---- Collector ------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "collector" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.collector.arn}:log-stream:*"]
  }

  statement {
    sid = "WriteRows"
    # DeleteItem: a record whose later row is refused for good has its earlier rows removed before it is
    # dead-lettered, so no record is ever half-written.
    actions   = ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "RejectToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }

  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "collector" {
  name               = "${local.role_prefix}-collector"
  description        = "Execution role of the collector: writes rows to its table, rejects to its queue."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "collector" {
  name   = "collector"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector.json
}

# ---- Scheduler ------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    sid     = "SchedulerAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# One ARN pattern for the whole fleet: listing every probe's ARN passes IAM's 10,240-character limit on inline
# role policies near 120 probes. The pattern covers this observatory's probe functions and nothing else it owns.
data "aws_iam_policy_document" "scheduler" {
  statement {
    sid     = "InvokeProbes"
    actions = ["lambda:InvokeFunction"]
    resources = [format(
      "arn:%s:lambda:%s:%s:function:%s*", data.aws_partition.current.partition, data.aws_region.current.name,
      data.aws_caller_identity.current.account_id, local.probe_function_prefix
    )]
  }

  # The schedules' dead-letter queue is written with this role (EventBridge Scheduler uses the execution role).
  statement {
    sid       = "SendUndeliveredToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dead_letter.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${local.role_prefix}-scheduler"
  description        = "Role EventBridge Scheduler assumes to invoke the probes."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
