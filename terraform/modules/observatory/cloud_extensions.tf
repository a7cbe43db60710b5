# Systems Manager Cloud Extensions (the cloud_extensions probes): its runtime layer and its profiles.
# Facts: docs/reference/cloud-extensions.md (each with its AWS page).

# The runtime's layer ARN, from the public parameter AWS publishes per architecture (amd64 for x86_64), read at
# plan time for each architecture a cloud_extensions probe runs on, unless cloud_extensions_layer_arns names it.
# https://docs.aws.amazon.com/systems-manager/latest/userguide/cloud-extensions-runtime.html
data "aws_ssm_parameter" "cloud_extensions_layer" {
  for_each = toset([
    for arch in distinct([for probe in values(local.probes) : probe.architecture if probe.strategy == "cloud_extensions"]) :
    arch if !contains(keys(var.cloud_extensions_layer_arns), arch)
  ])

  name = "/aws/service/aws-cloudextensions/lambda-extension/${each.key == "x86_64" ? "amd64" : "arm64"}/latest"
}

locals {
  # One profile per prefetch variant the fleet runs; the runtime loads the one AWS_CLOUDEXTENSIONS_PROFILE names.
  # Both extensions cache for cache_ttl_seconds (the probe's OBSERVATORY_CACHE_TTL_SECONDS: it judges a first
  # fetch's miss from it). Parameter Store's ttlSeconds is documented 0-3,600 (clamped): cache_ttl_seconds' own
  # rule (1-300) keeps it inside. The Secrets Manager extension's setting keys other than `cache`, `region` and
  # `ignoreTransientErrors` are not in what could be read of AWS's pages; `cache.ttlSeconds`,
  # `ssrfTokenHeaderCheck` and `prefetch.secrets[].secretId` are the lab emulator's names for the settings AWS's
  # console names (the API refuses unknown keys: a wrong name fails the deploy with the API's message, never
  # silently). The SSRF token header check is off, as AWS's Lambda example does, because every caller signs.
  cloud_extensions_variants = distinct([for probe in values(local.probes) : probe.prefetch if probe.strategy == "cloud_extensions"])
  cloud_extensions_profiles = {
    for prefetch in local.cloud_extensions_variants : (prefetch ? "prefetch" : "plain") => {
      name = prefetch ? "${var.name_prefix}-cx-prefetch" : "${var.name_prefix}-cx"
      secretsmanager = merge(
        { cache = { ttlSeconds = var.cache_ttl_seconds }, ssrfTokenHeaderCheck = false },
        prefetch ? { prefetch = { secrets = [{ secretId = aws_secretsmanager_secret.this.name }] } } : {},
      )
      parameterstore = { ttlSeconds = var.cache_ttl_seconds }
    }
  }
  # What the lab's emulator reads instead of a profile (OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE, lab-only).
  cloud_extensions_lab_profiles = {
    for variant, profile in local.cloud_extensions_profiles : variant => jsonencode({
      authentication = { runtimeCredentials = {} }
      secretsmanager = profile.secretsmanager
      parameterstore = profile.parameterstore
    })
  }
}

# The profiles, made by the deploy and removed by destroy: the AWS provider has no resource for the Cloud
# Extensions API, so each is an idempotent step of tools/cloud_extensions_profile.py (boto3's cloudextensions
# client) run from the repository's root with the region's credentials of this Terraform run. The spec holds
# names and settings only (the probes use runtimeCredentials: no key to keep in state).
resource "terraform_data" "cloud_extensions_profile" {
  for_each = { for variant, profile in local.cloud_extensions_profiles : variant => profile if var.environment == "aws" && var.cloud_extensions_profile_step }

  input = {
    name   = each.value.name
    region = data.aws_region.current.name
    python = var.tools_python
    root   = abspath("${path.module}/../../..")
    spec = jsonencode({
      name        = each.value.name
      description = "Secret Latency Observatory: cloud_extensions probes${each.key == "prefetch" ? " (secret prefetched)" : ""}."
      tags        = local.tags
      entries = [
        # capabilities to approve: AWS's Lambda examples name `secretsmanager` and `parameterStoreRead`; the
        # Parameter Store extension's identifier is not in what was read (aws:parameterstore, the catalog's form)
        { extension = "aws:secretsmanager", settings = each.value.secretsmanager, approve = ["secretsmanager"] },
        { extension = "aws:parameterstore", settings = each.value.parameterstore, approve = ["parameterStoreRead"] },
      ]
    })
  }

  provisioner "local-exec" {
    working_dir = self.input.root
    command     = "\"$PYTHON\" -m tools.cloud_extensions_profile apply --region \"$REGION\" --spec \"$SPEC\""
    environment = { PYTHON = self.input.python, REGION = self.input.region, SPEC = self.input.spec }
  }

  provisioner "local-exec" {
    when        = destroy
    working_dir = self.input.root
    command     = "\"$PYTHON\" -m tools.cloud_extensions_profile delete --region \"$REGION\" --name \"$NAME\""
    environment = { PYTHON = self.input.python, REGION = self.input.region, NAME = self.input.name }
  }
}
