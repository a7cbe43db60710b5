# What each function may do, on named ARNs: the documents here. Each function's execution role, with these
# documents, its own log streams and X-Ray (the only "*" resource: PutTraceSegments/PutTelemetryRecords support no
# resource-level scoping), is modules/functions'. The schedulers' roles are here.

# ---- Probes ---------------------------------------------------------------------------------------------------
# Two policies per probe role. "probe" holds what the function needs from its creation: Lambda checks, when it
# creates a function with Active tracing, that the role can already call X-Ray, so the function waits for this
# policy. "destination" names the collector, which comes later; only the probe's async invoke config waits for it.

data "aws_iam_policy_document" "probe" {
  #checkov:skip=CKV_AWS_356: BatchGetSecretValue (cloud_extensions prefetch probes only) is granted on "*", as AWS documents it
  for_each = local.probes

  statement {
    sid = "ReadSecretFixture"
    # SecretCache describes the secret before reading its version; so does the Cloud Extensions Secrets Manager
    # extension after its TTL (it runs with the function's role: the profile sets no execution role). The AWS
    # managed key needs no kms:Decrypt grant.
    actions   = contains(["caching_lib", "cloud_extensions"], each.value.strategy) ? ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"] : ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.this.arn]
  }

  # Prefetch calls BatchGetSecretValue, which AWS documents on "*" (it names no secret; GetSecretValue on each
  # secret, above, still decides which it returns). cloud-extensions-ext-secrets-manager-prerequisites.
  dynamic "statement" {
    for_each = each.value.strategy == "cloud_extensions" && each.value.prefetch ? ["prefetch"] : []

    content {
      sid       = "PrefetchSecrets"
      actions   = ["secretsmanager:BatchGetSecretValue"]
      resources = ["*"]
    }
  }

  # caching_lib (aws-secretsmanager-caching) reads Secrets Manager only, so it gets no SSM grant.
  dynamic "statement" {
    for_each = each.value.strategy == "caching_lib" ? [] : [aws_ssm_parameter.secure.arn]

    content {
      sid = "ReadParameterFixture"
      # the Cloud Extensions Parameter Store extension's documented pair (cloud-extensions-ext-parameter-store-prerequisites)
      actions   = each.value.strategy == "cloud_extensions" ? ["ssm:GetParameter", "ssm:GetParameters"] : ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "probe_destination" {
  statement {
    sid       = "SendResultToCollector"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.collector.function_arns["collector"]]
  }
}

# ---- Collector ------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "collector" {
  statement {
    sid = "WriteRows"
    # DeleteItem: a record whose later row is refused for good has its earlier rows removed before it is
    # dead-lettered, so no record is ever half-written.
    actions   = ["dynamodb:DeleteItem", "dynamodb:PutItem"]
    resources = [local.table_arn] # the home region's table under home_table
  }

  statement {
    sid       = "RejectToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
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
