# The lab: the same module, applied to the lab's local AWS endpoint. Only the provider and the layer differ.

locals {
  artifacts_dir = coalesce(var.artifacts_dir, abspath("${path.root}/../../../build"))
  # This machine's: the lab runs only functions built for it (one architecture, variables.tf).
  architecture  = var.fleet.architectures[0]
  extension_zip = "${local.artifacts_dir}/extension-layer-${local.architecture}.zip"
  # The lab's Cloud Extensions emulator (lab/cloud_extensions, build kind cloud-extensions-layer)
  cloud_extensions_zip = "${local.artifacts_dir}/cloud-extensions-layer-${local.architecture}.zip"
  # The lab's ADOT layers (lab/adot, build kind adot-layer), one per runtime of the adot probes
  adot_zips = {
    for runtime in local.build.adot_runtimes : runtime => "${local.artifacts_dir}/adot-layer-${runtime}-${local.architecture}.zip"
  }

  # What `make build` builds for this environment (tools/build_targets.py asks Terraform for it).
  build = module.observatory.build
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
  s3_use_path_style           = true # the endpoint is one host name: buckets are paths, not subdomains

  endpoints {
    cloudwatch     = var.endpoint
    dynamodb       = var.endpoint
    iam            = var.endpoint
    lambda         = var.endpoint
    logs           = var.endpoint
    s3             = var.endpoint
    scheduler      = var.endpoint
    secretsmanager = var.endpoint
    sqs            = var.endpoint
    ssm            = var.endpoint
    sts            = var.endpoint
  }
}

# The zips are deployed from a bucket: created from local files, the AWS provider creates functions one at a time,
# each waiting for the last to be Active (it holds one lock for every upload), which made most of the lab's apply.
resource "aws_s3_bucket" "code" {
  #checkov:skip=CKV_AWS_18: the lab's endpoint, on this machine: build output only, nobody else reads it
  #checkov:skip=CKV_AWS_21: each key holds its zip's SHA-256, so an object is never overwritten
  #checkov:skip=CKV_AWS_144: the lab's endpoint has no second region to replicate to
  #checkov:skip=CKV_AWS_145: build output with no secret in it, on this machine
  #checkov:skip=CKV2_AWS_6: the lab's endpoint listens on this machine only
  #checkov:skip=CKV2_AWS_61: the lab is destroyed with `lab down`; nothing stays long enough to expire
  #checkov:skip=CKV2_AWS_62: nothing reacts to a new zip
  bucket        = "${var.name_prefix}-lab-code"
  force_destroy = true
}

resource "aws_s3_object" "extension" {
  #checkov:skip=CKV_AWS_186: build output with no secret in it, on this machine
  bucket = aws_s3_bucket.code.bucket
  key    = "${var.name_prefix}/${filesha256(local.extension_zip)}/extension-layer-${local.architecture}.zip"
  source = local.extension_zip
}

# The lab's Parameters and Secrets extension emulator, published as a layer for this machine's architecture.
resource "aws_lambda_layer_version" "extension" {
  layer_name               = "${var.name_prefix}-parameters-secrets-emulator-${local.architecture}"
  description              = "The lab's emulator of the AWS Parameters and Secrets Lambda Extension."
  s3_bucket                = aws_s3_object.extension.bucket
  s3_key                   = aws_s3_object.extension.key
  source_code_hash         = filebase64sha256(local.extension_zip)
  compatible_runtimes      = distinct(concat([var.runtime], local.build.runtimes)) # every runtime a probe uses
  compatible_architectures = [local.architecture]
}

resource "aws_s3_object" "cloud_extensions" {
  #checkov:skip=CKV_AWS_186: build output with no secret in it, on this machine
  bucket = aws_s3_bucket.code.bucket
  key    = "${var.name_prefix}/${filesha256(local.cloud_extensions_zip)}/cloud-extensions-layer-${local.architecture}.zip"
  source = local.cloud_extensions_zip
}

# The lab's Cloud Extensions runtime emulator, published as a layer and passed as the module's override: the
# lab's endpoint has no /aws/service/aws-cloudextensions parameter, and its probes must run the emulator.
resource "aws_lambda_layer_version" "cloud_extensions" {
  layer_name               = "${var.name_prefix}-cloud-extensions-emulator-${local.architecture}"
  description              = "The lab's emulator of the AWS Systems Manager Cloud Extensions runtime."
  s3_bucket                = aws_s3_object.cloud_extensions.bucket
  s3_key                   = aws_s3_object.cloud_extensions.key
  source_code_hash         = filebase64sha256(local.cloud_extensions_zip)
  compatible_runtimes      = distinct(concat([var.runtime], local.build.runtimes))
  compatible_architectures = [local.architecture]
}

resource "aws_s3_object" "adot" {
  #checkov:skip=CKV_AWS_186: build output with no secret in it, on this machine
  for_each = local.adot_zips

  bucket = aws_s3_bucket.code.bucket
  key    = "${var.name_prefix}/${fileexists(each.value) ? filesha256(each.value) : "missing"}/${basename(each.value)}"
  source = each.value

  lifecycle {
    precondition {
      condition     = fileexists(each.value)
      error_message = "${each.value} does not exist: run `make build` (python -m tools.build --out ${local.artifacts_dir}), which builds the lab's ADOT layer for the runtimes of the adot probes."
    }
  }
}

# The lab's ADOT layer, built from the distribution AWS's layer carries (docs/reference/adot.md), published per
# runtime and passed as the module's override: the adot probes run its otel-instrument wrapper.
resource "aws_lambda_layer_version" "adot" {
  for_each = local.adot_zips

  layer_name               = "${var.name_prefix}-adot-py${replace(trimprefix(each.key, "python"), ".", "")}-${local.architecture}"
  description              = "The lab's ADOT Python layer (aws-opentelemetry-distro, otel-instrument) for ${each.key}."
  s3_bucket                = aws_s3_object.adot[each.key].bucket
  s3_key                   = aws_s3_object.adot[each.key].key
  source_code_hash         = fileexists(each.value) ? filebase64sha256(each.value) : null
  compatible_runtimes      = [each.key]
  compatible_architectures = [local.architecture]
}

module "observatory" {
  source = "../../modules/observatory"

  name_prefix                 = var.name_prefix
  home_table                  = var.home_region == null || var.home_region == var.region ? null : { region = var.home_region }
  environment                 = "lab"
  artifacts_dir               = local.artifacts_dir
  code_bucket                 = aws_s3_bucket.code.bucket
  runtime                     = var.runtime
  dependency_set              = var.dependency_set
  fleet                       = var.fleet
  tracing_comparison          = var.tracing_comparison
  extension_layer_arns        = { (local.architecture) = aws_lambda_layer_version.extension.arn }
  cloud_extensions_layer_arns = { (local.architecture) = aws_lambda_layer_version.cloud_extensions.arn }
  adot_layer_arns             = { for runtime, layer in aws_lambda_layer_version.adot : "${runtime}-${local.architecture}" => layer.arn }
  schedule_expression         = var.schedule_expression
  cache_ttl_seconds           = var.cache_ttl_seconds
  warm_samples                = var.warm_samples
  sdk_warm_samples            = var.sdk_warm_samples
  retention_days              = var.retention_days
  log_retention_days          = 7
  secret_recovery_window_days = 0
  collector                   = { architecture = local.architecture }
  dashboard_environment       = merge({ AWS_ENDPOINT_URL = var.endpoint }, var.ca_bundle == null ? {} : { AWS_CA_BUNDLE = var.ca_bundle })
  tags                        = var.tags
}

output "cloud_extensions_layer_arn" {
  description = "The Cloud Extensions emulator layer version the cloud_extensions probes carry."
  value       = aws_lambda_layer_version.cloud_extensions.arn
}

output "adot_layer_arns" {
  description = "The lab's ADOT layer version per runtime the adot probes carry."
  value       = { for runtime, layer in aws_lambda_layer_version.adot : runtime => layer.arn }
}

output "extension_layer_arn" {
  description = "The emulator layer version the extension probes carry."
  value       = aws_lambda_layer_version.extension.arn
}
