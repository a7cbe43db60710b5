# The collector: receives every probe's OnSuccess/OnFailure destination record and writes rows (contract §4, §5).
# It is invoked asynchronously only; a record it cannot store goes to the dead-letter queue (OnFailure).

module "collector" {
  source = "./modules/functions"

  functions = {
    collector = {
      name             = "${var.name_prefix}-collector"
      description      = "Secret Latency Observatory collector: validates probe records and writes rows."
      role_name        = "${local.role_prefix}-collector"
      role_description = "Execution role of the collector: writes rows to its table, rejects to its queue."
      handler          = "collector.handler.handler"
      runtime          = var.runtime
      architecture     = var.collector.architecture
      memory_size      = var.collector.memory_size
      timeout          = var.collector.timeout_seconds
      environment = {
        OBSERVATORY_TABLE_NAME     = local.table_name
        OBSERVATORY_TABLE_REGION   = local.table_region
        OBSERVATORY_DLQ_URL        = aws_sqs_queue.dead_letter.url
        OBSERVATORY_RETENTION_DAYS = tostring(var.retention_days)
      }
      policy_name   = "collector"
      policy        = data.aws_iam_policy_document.collector.json
      preconditions = [local.collector_zip_built]
    }
  }
  code = local.code[local.collector_zip]
  async_invoke = {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = var.max_event_age_seconds
    destinations                 = { on_failure = aws_sqs_queue.dead_letter.arn }
  }
  log_retention_days = var.log_retention_days
  tags               = local.tags
}
