# The fleet: one probe function per catalogue entry, configured through environment variables (contract §1).
# Every probe runs the same small probe-code.zip; its libraries come from the dependency layer of its runtime and
# architecture (deps-{dependency_set}-{runtime}-{arch}.zip), so a code change uploads kilobytes, not the SDK.

resource "aws_lambda_layer_version" "deps" {
  for_each = local.deps_layers

  # Layer names allow letters, digits, '-' and '_': python3.11 is written py311.
  layer_name               = "${var.name_prefix}-probe-deps-${var.dependency_set}-py${replace(trimprefix(each.value.runtime, "python"), ".", "")}-${each.value.architecture}"
  description              = "Secret Latency Observatory probe libraries: dependency set ${var.dependency_set}, ${each.value.runtime}, ${each.value.architecture}."
  filename                 = var.code_bucket == null ? try(local.manifest[each.value.zip].file, "missing") : null
  s3_bucket                = var.code_bucket
  s3_key                   = try(aws_s3_object.code[each.value.zip].key, null)
  source_code_hash         = try(local.manifest[each.value.zip].sha256_b64, null)
  compatible_runtimes      = [each.value.runtime]
  compatible_architectures = [each.value.architecture]

  lifecycle {
    precondition {
      condition     = contains(keys(local.manifest), each.value.zip)
      error_message = "${var.artifacts_dir}/manifest.json lists no ${each.value.zip}: run `make build` (python -m tools.build --out ${var.artifacts_dir} --runtime ${each.value.runtime} --dependency-set ${var.dependency_set}) for this runtime, architecture and dependency set."
    }
  }
}

resource "aws_cloudwatch_log_group" "probe" {
  #checkov:skip=CKV_AWS_158: probe logs hold timings and errors, never a secret value; a CMK adds $1/month
  #checkov:skip=CKV_AWS_338: probe logs are short-lived diagnostics; the measurements live in DynamoDB
  for_each = local.probes

  name              = "/aws/lambda/${local.probe_function_prefix}${each.key}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "probe" {
  #checkov:skip=CKV_AWS_116: asynchronous failures go to the OnFailure destination (the collector), which records them
  #checkov:skip=CKV_AWS_117: probes call only public AWS APIs; a VPC would need a NAT gateway or endpoints, far above budget
  #checkov:skip=CKV_AWS_115: one scheduled invocation per interval; reserving concurrency fails on new accounts' quota of 10
  #checkov:skip=CKV_AWS_173: the environment holds fixture names and settings, never a secret value
  #checkov:skip=CKV_AWS_272: the code is built reproducibly from this repository and pinned by its SHA-256
  for_each = local.probes

  function_name    = "${local.probe_function_prefix}${each.key}"
  description      = "Secret Latency Observatory probe: ${each.value.strategy}, ${each.value.memory_mb} MB, ${each.value.architecture}, ${each.value.runtime}, tracing ${each.value.tracing}."
  role             = aws_iam_role.probe[each.key].arn
  runtime          = each.value.runtime
  handler          = "probe.handler.handler"
  architectures    = [each.value.architecture]
  memory_size      = each.value.memory_mb
  timeout          = var.probe_timeout_seconds
  filename         = var.code_bucket == null ? try(local.manifest["probe-code.zip"].file, "missing") : null
  s3_bucket        = var.code_bucket
  s3_key           = try(aws_s3_object.code["probe-code.zip"].key, null)
  source_code_hash = try(local.manifest["probe-code.zip"].sha256_b64, null)
  # The libraries first, then the extension (Lambda allows 5 layers).
  layers = concat(
    [aws_lambda_layer_version.deps["deps-${var.dependency_set}-${each.value.runtime}-${each.value.architecture}"].arn],
    each.value.strategy == "extension" ? [try(local.extension_layers[each.value.architecture], "missing")] : [],
  )

  environment {
    variables = merge(
      {
        OBSERVATORY_PROBE_KEY         = each.key
        OBSERVATORY_STRATEGY          = each.value.strategy
        OBSERVATORY_ARCHITECTURE      = each.value.architecture
        OBSERVATORY_ENVIRONMENT       = var.environment
        OBSERVATORY_SECRET_ID         = aws_secretsmanager_secret.this.name
        OBSERVATORY_PARAMETER_NAME    = aws_ssm_parameter.secure.name
        OBSERVATORY_WARM_SAMPLES      = tostring(each.value.strategy == "sdk" ? var.sdk_warm_samples : var.warm_samples)
        OBSERVATORY_CACHE_TTL_SECONDS = tostring(var.cache_ttl_seconds)
        OBSERVATORY_EXTENSION_LAYER   = each.value.strategy == "extension" ? try(local.extension_layers[each.value.architecture], "") : ""
        OBSERVATORY_TRACING           = each.value.tracing
      },
      each.value.stores == null ? {} : {
        OBSERVATORY_STORES = join(",", each.value.stores)
      },
      each.value.strategy == "extension" ? {
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = tostring(var.extension_http_port)
        SECRETS_MANAGER_TTL                    = tostring(var.cache_ttl_seconds)
        SSM_PARAMETER_STORE_TTL                = tostring(var.cache_ttl_seconds)
      } : {},
      each.value.strategy == "powertools" ? {
        POWERTOOLS_PARAMETERS_MAX_AGE = tostring(var.cache_ttl_seconds)
      } : {},
    )
  }

  tracing_config {
    mode = "Active"
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = each.value.strategy != "extension" || contains(keys(local.extension_layers), each.value.architecture)
      error_message = "No Parameters and Secrets extension layer is known for this region and architecture: set extension_layer_arns."
    }
    precondition {
      condition     = contains(keys(local.manifest), "probe-code.zip")
      error_message = "${var.artifacts_dir}/manifest.json lists no probe-code.zip: run `make build` (python -m tools.build --out ${var.artifacts_dir})."
    }
  }

  # Lambda checks at creation that the role can call X-Ray (Active tracing): the "probe" policy comes first. The
  # "destination" policy names the collector, which waits for the table and the queue; functions start meanwhile.
  depends_on = [aws_cloudwatch_log_group.probe, aws_iam_role_policy.probe]
}

resource "aws_lambda_function_event_invoke_config" "probe" {
  for_each = local.probes

  function_name                = aws_lambda_function.probe[each.key].function_name
  maximum_retry_attempts       = var.async_retry_attempts
  maximum_event_age_in_seconds = var.max_event_age_seconds

  destination_config {
    on_success {
      destination = aws_lambda_function.collector.arn
    }

    on_failure {
      destination = aws_lambda_function.collector.arn
    }
  }

  depends_on = [aws_iam_role_policy.probe_destination]
}

# One alarm per probe: the collector's freshness alarm fires only when every probe stops, this one when one does
# (its schedule cannot deliver, its function was deleted or throttled away). Runs are at most interval + window
# apart (schedule.tf), less than two periods, so a healthy probe never trips it.
resource "aws_cloudwatch_metric_alarm" "probe_quiet" {
  for_each = local.probes

  alarm_name          = "${var.name_prefix}-probe-${each.key}-quiet"
  alarm_description   = "Probe ${each.key} has not run for two schedule intervals: its measurements stopped."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = aws_lambda_function.probe[each.key].function_name }
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
