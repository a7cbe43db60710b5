# A real AWS account. Credentials come from the usual AWS chain (profile, environment, SSO).

# Remote state, recommended for a shared deployment: create the bucket first, then uncomment and `terraform init`.
# terraform {
#   backend "s3" {
#     bucket       = "my-terraform-state"
#     key          = "secret-latency-observatory/terraform.tfstate"
#     region       = "us-east-1"
#     encrypt      = true
#     use_lockfile = true
#   }
# }

provider "aws" {
  region = var.region
}

locals {
  # What `make build` builds for this environment (tools/build_targets.py asks Terraform for it).
  build = module.observatory.build
}

module "observatory" {
  source = "../../modules/observatory"

  name_prefix          = var.name_prefix
  environment          = "aws"
  artifacts_dir        = coalesce(var.artifacts_dir, abspath("${path.root}/../../../build"))
  code_bucket          = var.code_bucket
  runtime              = var.runtime
  fleet                = var.fleet
  tracing_comparison   = var.tracing_comparison
  extension_layer_arns = var.extension_layer_arns
  # null: the layer AWS publishes in /aws/service/aws-cloudextensions/lambda-extension/{amd64|arm64}/latest
  cloud_extensions_layer_arns = var.cloud_extensions_layer_arns
  schedule_expression         = var.schedule_expression
  cache_ttl_seconds           = var.cache_ttl_seconds
  warm_samples                = var.warm_samples
  sdk_warm_samples            = var.sdk_warm_samples
  probe_timeout_seconds       = var.probe_timeout_seconds
  retention_days              = var.retention_days
  log_retention_days          = var.log_retention_days
  alarm_actions               = var.alarm_actions
  tags                        = var.tags

  # Daily digests (the compactor) outlive the rows.
  digest_retention_days = var.digest_retention_days
}
