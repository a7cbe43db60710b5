# The lab: the same module, applied to the lab's local AWS endpoint. Only the provider and the layer differ.

locals {
  artifacts_dir = coalesce(var.artifacts_dir, abspath("${path.root}/../../../build"))
  runtimes      = distinct(var.runtimes != null ? var.runtimes : [var.runtime])

  # What `make build` builds for this environment (tools/runtimes.py asks Terraform for it).
  build = { runtime = var.runtime, runtimes = local.runtimes, dependency_set = var.dependency_set }
}

provider "aws" {
  region                      = var.region
  access_key                  = var.access_key
  secret_key                  = var.secret_key
  custom_ca_bundle            = var.ca_bundle
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true

  endpoints {
    cloudwatch     = var.endpoint
    dynamodb       = var.endpoint
    iam            = var.endpoint
    lambda         = var.endpoint
    logs           = var.endpoint
    scheduler      = var.endpoint
    secretsmanager = var.endpoint
    sqs            = var.endpoint
    ssm            = var.endpoint
    sts            = var.endpoint
  }
}

# The lab's Parameters and Secrets extension emulator, published as a layer for this machine's architecture.
resource "aws_lambda_layer_version" "extension" {
  layer_name               = "${var.name_prefix}-parameters-secrets-emulator-${var.architecture}"
  description              = "The lab's emulator of the AWS Parameters and Secrets Lambda Extension."
  filename                 = "${local.artifacts_dir}/extension-layer-${var.architecture}.zip"
  source_code_hash         = filebase64sha256("${local.artifacts_dir}/extension-layer-${var.architecture}.zip")
  compatible_runtimes      = distinct(concat([var.runtime], local.runtimes)) # every runtime a probe uses
  compatible_architectures = [var.architecture]
}

module "observatory" {
  source = "../../modules/observatory"

  name_prefix    = var.name_prefix
  environment    = "lab"
  artifacts_dir  = local.artifacts_dir
  runtime        = var.runtime
  dependency_set = var.dependency_set
  fleet = {
    strategies    = var.strategies
    memory_sizes  = var.memory_sizes
    architectures = [var.architecture]
    runtimes      = var.runtimes
    tracing       = var.tracing
    stores        = var.stores
  }
  extension_layer_arns        = { (var.architecture) = aws_lambda_layer_version.extension.arn }
  schedule_expression         = var.schedule_expression
  cache_ttl_seconds           = var.cache_ttl_seconds
  warm_samples                = var.warm_samples
  sdk_warm_samples            = var.sdk_warm_samples
  retention_days              = var.retention_days
  log_retention_days          = 7
  secret_recovery_window_days = 0
  collector                   = { architecture = var.architecture }
  dashboard_environment       = merge({ AWS_ENDPOINT_URL = var.endpoint }, var.ca_bundle == null ? {} : { AWS_CA_BUNDLE = var.ca_bundle })
  tags                        = var.tags
}
