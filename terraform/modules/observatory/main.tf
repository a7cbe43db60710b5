data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  tags = merge({ Project = "secret-latency-observatory", ManagedBy = "terraform" }, var.tags)

  # The fleet catalogue: one entry per strategy x memory x architecture x runtime x tracing, keyed
  # "{strategy}-{memory}-{arch}", then "-py{MAJOR}{MINOR}" when the runtime is not var.runtime and "-{tracing}"
  # when the tracing is not "subsegments", then "-prefetch" for a cloud_extensions probe whose profile prefetches:
  # the defaults keep the keys (and the history) of the fleet before them.
  # var.tracing_comparison adds its probes (var.runtime, no prefetch) to the cross product: the same key is the
  # same probe, so the combinations are made distinct before they are keyed.
  comparison = length(var.tracing_comparison.tracing) == 0 ? [] : setproduct(
    distinct(var.tracing_comparison.strategies), distinct(var.tracing_comparison.memory_sizes),
    distinct(var.fleet.architectures), [var.runtime], distinct(var.tracing_comparison.tracing), [false]
  )
  runtimes = distinct(concat(
    var.fleet.runtimes != null ? var.fleet.runtimes : [var.runtime], length(local.comparison) > 0 ? [var.runtime] : []
  ))
  # The stores each strategy reads (functions/probe/vocabulary.py STORES_BY_STRATEGY).
  strategy_stores = {
    extension        = ["secretsmanager", "ssm"]
    sdk              = ["secretsmanager", "ssm"]
    dict             = ["secretsmanager", "ssm"]
    caching_lib      = ["secretsmanager"]
    powertools       = ["secretsmanager", "ssm"]
    cloud_extensions = ["secretsmanager", "ssm"]
  }
  probes = {
    for combo in distinct(concat(setproduct(
      distinct(var.fleet.strategies), distinct(var.fleet.memory_sizes), distinct(var.fleet.architectures),
      distinct(var.fleet.runtimes != null ? var.fleet.runtimes : [var.runtime]), distinct(var.fleet.tracing),
      distinct(concat([false], var.fleet.prefetch))
    ), local.comparison)) :
    format(
      "%s-%d-%s%s%s%s", combo[0], combo[1], combo[2],
      combo[3] == var.runtime ? "" : "-py${replace(trimprefix(combo[3], "python"), ".", "")}",
      combo[4] == "subsegments" ? "" : "-${combo[4]}",
      combo[5] ? "-prefetch" : ""
      ) => {
      strategy     = combo[0]
      memory_mb    = combo[1]
      architecture = combo[2]
      runtime      = combo[3]
      tracing      = combo[4]
      prefetch     = combo[5] # only a cloud_extensions probe has the variant (the filter below)
      # null: every store the strategy reads; else the fleet's stores this strategy reads.
      stores = var.fleet.stores == null ? null : [for store in var.fleet.stores : store if contains(local.strategy_stores[combo[0]], store)]
    }
    # A strategy that reads none of fleet.stores has no probe (validation keeps at least one); only
    # cloud_extensions has a prefetch variant (the others' one probe is the prefetch = false combination).
    if(var.fleet.stores == null || length(setintersection(coalesce(var.fleet.stores, []), local.strategy_stores[combo[0]])) > 0)
    && (combo[0] == "cloud_extensions" ? contains(var.fleet.prefetch, combo[5]) : !combo[5])
  }

  # One dependency layer per runtime x architecture of the fleet, from the build's deps-{set}-{runtime}-{arch}.zip.
  deps_layers = {
    for pair in setproduct(local.runtimes, distinct(var.fleet.architectures)) :
    "deps-${var.dependency_set}-${pair[0]}-${pair[1]}" => {
      set          = var.dependency_set
      runtime      = pair[0]
      architecture = pair[1]
      zip          = "deps-${var.dependency_set}-${pair[0]}-${pair[1]}.zip"
      holds        = ": dependency set ${var.dependency_set}"
      build_flags  = " --dependency-set ${var.dependency_set}"
    }
  }

  # The otel probes' OpenTelemetry, a layer of its own per runtime x architecture they run on, from the build's
  # deps-otel-{runtime}-{arch}.zip (functions/probe/requirements/otel.txt; not in the deps layer: adot probes
  # carry the ADOT layer's OpenTelemetry).
  otel_layers = {
    # (python3.9 gets none: its otel probes are refused by their preconditions)
    for pair in distinct([for probe in values(local.probes) : [probe.runtime, probe.architecture] if probe.tracing == "otel" && probe.runtime != "python3.9"]) :
    "deps-otel-${pair[0]}-${pair[1]}" => {
      set          = "otel"
      runtime      = pair[0]
      architecture = pair[1]
      zip          = "deps-otel-${pair[0]}-${pair[1]}.zip"
      holds        = " of tracing mode otel (OpenTelemetry)"
      build_flags  = ""
    }
  }
  # Both kinds are probe library layers, one resource (probes.tf): their keys never meet (deps-otel-… is not a
  # dependency set).
  probe_layers = merge(local.deps_layers, local.otel_layers)

  # Build output: manifest.json maps artifact names to {path, sha256_hex, sha256_b64, kind, runtime,
  # architecture, dependency_set} (tools/build.py, contract §6); index it by file name.
  manifest_path = "${var.artifacts_dir}/manifest.json"
  manifest = {
    for name, entry in(fileexists(local.manifest_path) ? jsondecode(file(local.manifest_path)) : {}) :
    basename(entry.path) => merge(entry, { file = "${var.artifacts_dir}/${basename(entry.path)}" })
  }

  # The zips this module deploys. With var.code_bucket each goes to S3 once, under a key that changes with its
  # content, and the functions and layers name that key; without, each uploads its file.
  collector_zip = "collector-${var.runtime}-${var.collector.architecture}.zip"
  deployed_zips = concat(
    ["probe-code.zip", local.collector_zip], [for layer in values(local.probe_layers) : layer.zip]
  )
  code_objects = var.code_bucket == null ? {} : {
    for name in local.deployed_zips : name => local.manifest[name] if contains(keys(local.manifest), name)
  }
  # Where each function and layer finds its zip (a file that is missing fails its precondition, not the plan).
  code = {
    for name in local.deployed_zips : name => {
      filename         = var.code_bucket == null ? try(local.manifest[name].file, "missing") : null
      s3_bucket        = var.code_bucket
      s3_key           = try(aws_s3_object.code[name].key, null)
      source_code_hash = try(local.manifest[name].sha256_b64, null)
    }
  }
  collector_zip_built = {
    condition     = contains(keys(local.manifest), local.collector_zip)
    error_message = "${var.artifacts_dir}/manifest.json lists no ${local.collector_zip}: run `make build` (python -m tools.build --out ${var.artifacts_dir})."
  }

  # AWS's Parameters and Secrets extension layer for this region, per architecture (override wins).
  layer_table   = jsondecode(file("${path.module}/layer-arns.json")).regions
  region_layers = lookup(local.layer_table, data.aws_region.current.name, null)
  layer_name    = { x86_64 = "AWS-Parameters-and-Secrets-Lambda-Extension", arm64 = "AWS-Parameters-and-Secrets-Lambda-Extension-Arm64" }
  default_layers = local.region_layers == null ? {} : {
    for arch in ["x86_64", "arm64"] : arch => format(
      "arn:%s:lambda:%s:%s:layer:%s:%d",
      lookup(local.region_layers, "partition", "aws"), data.aws_region.current.name,
      local.region_layers.account, local.layer_name[arch], local.region_layers[arch]
    )
  }
  extension_layers = merge(local.default_layers, var.extension_layer_arns)

  # AWS's ADOT Python layer for this region (one layer for both architectures, as AWS publishes it), override
  # wins; and where otel probes export (X-Ray's OTLP endpoint unless the lab names its trace store).
  adot_table           = jsondecode(file("${path.module}/adot-layer-arns.json"))
  adot_region_layer    = lookup(local.adot_table.regions, data.aws_region.current.name, null)
  adot_default         = local.adot_region_layer == null ? {} : { for arch in ["x86_64", "arm64"] : arch => local.adot_region_layer }
  adot_layers          = merge(local.adot_default, var.adot_layer_arns)
  otlp_traces_endpoint = coalesce(var.otlp_traces_endpoint, "https://xray.${data.aws_region.current.name}.amazonaws.com/v1/traces")

  # AWS's Cloud Extensions runtime layer per architecture: the public parameter AWS publishes it in, read at plan
  # time (cloud_extensions.tf), unless cloud_extensions_layer_arns names it (the lab: its emulator's layer).
  cloud_extensions_layers = merge(
    # a public parameter holding a public layer ARN: not a secret, though the provider marks every value so
    { for arch, parameter in data.aws_ssm_parameter.cloud_extensions_layer : arch => nonsensitive(parameter.value) },
    var.cloud_extensions_layer_arns,
  )

  table_name = "${var.name_prefix}-measurements"
  # home_table: this region's probes and collector write to the home region's table (no table, no compactor
  # here), and their keys end in "@{this region}" (contract §1), unique beside the home region's own probes.
  owns_table   = var.home_table == null
  table_region = local.owns_table ? data.aws_region.current.name : var.home_table.region
  table_arn = local.owns_table ? aws_dynamodb_table.this[0].arn : format(
    "arn:%s:dynamodb:%s:%s:table/%s", data.aws_partition.current.partition, var.home_table.region,
    data.aws_caller_identity.current.account_id, local.table_name
  )
  row_keys = { for key in keys(local.probes) : key => local.owns_table ? key : "${key}@${data.aws_region.current.name}" }

  # IAM role names are account-wide, every other name here is regional: the region in role names lets the same
  # name_prefix deploy to two regions of one account. At most 16 + 1 + 14 + 7 + 24 = 62 of IAM's 64 characters
  # for a key of today's form; a key with a runtime and a tracing suffix (up to 40 characters) can pass 64, and
  # such a role name keeps its first 55 characters and ends in 8 of its SHA-1, so it stays unique.
  role_prefix = "${var.name_prefix}-${data.aws_region.current.name}"
  probe_role_names = {
    for key in keys(local.probes) : key => (
      length("${local.role_prefix}-probe-${key}") <= 64 ? "${local.role_prefix}-probe-${key}" :
      "${substr("${local.role_prefix}-probe-${key}", 0, 55)}-${substr(sha1("${local.role_prefix}-probe-${key}"), 0, 8)}"
    )
  }
  # Every probe function's name starts with this, so the scheduler's policy needs one ARN, not one per probe.
  probe_function_prefix = "${var.name_prefix}-probe-"
}

# ---- Fixtures: canary values generated at apply time, never stored in state or shown in a plan ----------------
# Write-only arguments (Terraform 1.11): the value is sent once on creation and kept while the *_wo_version stays
# the same, so it is stable across applies, and nothing but the fixture itself holds it.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV_AWS_149: a canary fixture with a random value; the AWS managed key avoids a $1/month CMK
  #checkov:skip=CKV2_AWS_57: rotation would change the digest the probes compare; the canary protects nothing
  name        = "${var.name_prefix}-canary-secret"
  description = "Secret Latency Observatory canary: probes read it and record only its SHA-256."
  # 0 by default: a canary protects nothing, and a recovery window would keep its fixed name taken for days
  # after `make destroy`, so the next `make deploy` would fail ("already scheduled for deletion").
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = local.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = uuid()
  secret_string_wo_version = 1
}

resource "aws_ssm_parameter" "string" {
  #checkov:skip=CKV2_AWS_34: the plain String fixture is the unencrypted case on purpose; its value is a random canary
  name             = "/${var.name_prefix}/canary/string"
  description      = "Secret Latency Observatory canary (String)."
  type             = "String"
  value_wo         = uuid()
  value_wo_version = 1
  tags             = local.tags
}

resource "aws_ssm_parameter" "secure" {
  #checkov:skip=CKV_AWS_337: encrypted with the AWS managed key aws/ssm; a CMK adds $1/month for a random canary
  name             = "/${var.name_prefix}/canary/secure"
  description      = "Secret Latency Observatory canary (SecureString, AWS managed key)."
  type             = "SecureString"
  value_wo         = uuid()
  value_wo_version = 1
  tags             = local.tags
}

# ---- Measurements table ---------------------------------------------------------------------------------------
# Keys, index and TTL mirror collector/table.py:create_table (contract §4).

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119: encrypted with the AWS managed key (server_side_encryption); a CMK adds $1/month to a $5 budget
  count = local.owns_table ? 1 : 0 # home_table: the home region's deployment holds it

  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = false

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "day"
    type = "S"
  }

  global_secondary_index {
    name            = "by_day"
    hash_key        = "day"
    range_key       = "sk"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}

# ---- Dead-letter queue (its alarm: alarms.tf) -----------------------------------------------------------------

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name_prefix}-collector-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}
