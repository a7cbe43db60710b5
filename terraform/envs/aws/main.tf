# A real AWS account. Credentials come from the usual AWS chain (profile, environment, SSO).

# State: local (terraform.tfstate here) until `make bootstrap` creates the state bucket (terraform/bootstrap) and
# writes backend.hcl (bucket, key, region, use_lockfile = true: S3's native lock file) and
# backend_override.tf (`backend "s3" {}`) here, both gitignored; `make deploy` then inits with
# -backend-config=backend.hcl. A clone without them keeps working with local state (tools/remote_state.py).

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
  home_table           = var.home_region == null || var.home_region == var.region ? null : { region = var.home_region }
  environment          = "aws"
  artifacts_dir        = coalesce(var.artifacts_dir, abspath("${path.root}/../../../build"))
  code_bucket          = var.code_bucket
  max_memory_mb        = var.max_memory_mb
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

  # Open data: each settled day's files in a bucket, if wanted (private unless publish.public_read)
  publish = var.publish
}
