# The fleet: one probe function per catalogue entry, configured through environment variables (contract §1).
# Every probe runs the same small probe-code.zip; its libraries come from the dependency layer of its runtime and
# architecture (deps-{dependency_set}-{runtime}-{arch}.zip), so a code change uploads kilobytes, not the SDK.

# The probes' library layers: deps-{set}-{runtime}-{arch}.zip per runtime x architecture of the fleet, and the
# otel probes' OpenTelemetry SDK, exporter and instrumentations (deps-otel-{runtime}-{arch}.zip).
resource "aws_lambda_layer_version" "deps" {
  for_each = local.probe_layers

  # Layer names allow letters, digits, '-' and '_': python3.11 is written py311.
  layer_name               = "${var.name_prefix}-probe-deps-${each.value.set}-py${replace(trimprefix(each.value.runtime, "python"), ".", "")}-${each.value.architecture}"
  description              = "Secret Latency Observatory probe libraries${each.value.holds}, ${each.value.runtime}, ${each.value.architecture}."
  filename                 = local.code[each.value.zip].filename
  s3_bucket                = local.code[each.value.zip].s3_bucket
  s3_key                   = local.code[each.value.zip].s3_key
  source_code_hash         = local.code[each.value.zip].source_code_hash
  compatible_runtimes      = [each.value.runtime]
  compatible_architectures = [each.value.architecture]

  lifecycle {
    precondition {
      condition     = contains(keys(local.manifest), each.value.zip)
      error_message = "${var.artifacts_dir}/manifest.json lists no ${each.value.zip}: run `make build` (python -m tools.build --out ${var.artifacts_dir} --runtime ${each.value.runtime}${each.value.build_flags}) for this layer's runtime and architecture."
    }
  }
}

# Each probe reports to the collector through its asynchronous-invoke destinations. The grant naming the
# collector is a policy of its own ("destination"), which only the invoke configs wait for: the functions are
# created while the collector waits for the table and the queue.
module "probes" {
  source = "./modules/functions"

  functions = {
    for key, probe in local.probes : key => {
      name             = "${local.probe_function_prefix}${key}"
      description      = "Secret Latency Observatory probe: ${probe.strategy}${probe.prefetch ? " (prefetch)" : ""}, ${probe.memory_mb} MB, ${probe.architecture}, ${probe.runtime}, tracing ${probe.tracing}."
      role_name        = local.probe_role_names[key]
      role_description = "Execution role of probe ${key}: reads the fixtures, reports to the collector."
      handler          = "probe.handler.handler"
      runtime          = probe.runtime
      architecture     = probe.architecture
      memory_size      = probe.memory_mb
      timeout          = var.probe_timeout_seconds
      # The libraries first (otel: then OpenTelemetry's), then the extension (Lambda allows 5 layers).
      layers = concat(
        [aws_lambda_layer_version.deps["deps-${var.dependency_set}-${probe.runtime}-${probe.architecture}"].arn],
        probe.tracing == "otel" ? [try(aws_lambda_layer_version.deps["deps-otel-${probe.runtime}-${probe.architecture}"].arn, "missing")] : [],
        probe.strategy == "extension" ? [try(local.extension_layers[probe.architecture], "missing")] : [],
        probe.strategy == "cloud_extensions" ? [try(local.cloud_extensions_layers[probe.architecture], "missing")] : [],
        # adot: the layer for its runtime and architecture if one is named (the lab's are built per runtime), else
        # for its architecture (AWS's serves every Python runtime)
        probe.tracing == "adot" ? [try(local.adot_layers["${probe.runtime}-${probe.architecture}"], local.adot_layers[probe.architecture], "missing")] : [],
      )
      # `off` is a baseline: Lambda traces nothing of its own either (X-Ray's Active mode samples and sends)
      tracing_mode = probe.tracing == "off" ? "PassThrough" : "Active"
      environment = merge(
        {
          OBSERVATORY_PROBE_KEY         = local.row_keys[key]
          OBSERVATORY_STRATEGY          = probe.strategy
          OBSERVATORY_ARCHITECTURE      = probe.architecture
          OBSERVATORY_ENVIRONMENT       = var.environment
          OBSERVATORY_SECRET_ID         = aws_secretsmanager_secret.this.name
          OBSERVATORY_PARAMETER_NAME    = aws_ssm_parameter.secure.name
          OBSERVATORY_WARM_SAMPLES      = tostring(probe.strategy == "sdk" ? var.sdk_warm_samples : var.warm_samples)
          OBSERVATORY_CACHE_TTL_SECONDS = tostring(var.cache_ttl_seconds)
          OBSERVATORY_EXTENSION_LAYER = (
            probe.strategy == "extension" ? try(local.extension_layers[probe.architecture], "") :
            probe.strategy == "cloud_extensions" ? try(local.cloud_extensions_layers[probe.architecture], "") : ""
          )
          OBSERVATORY_TRACING = probe.tracing
        },
        # otel: the OpenTelemetry SDK's standard variable; adot: the ADOT layer's wrapper sets OpenTelemetry up
        probe.tracing == "otel" ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = local.otlp_traces_endpoint } : {},
        probe.tracing == "adot" ? { AWS_LAMBDA_EXEC_WRAPPER = "/opt/otel-instrument" } : {},
        probe.stores == null ? {} : {
          OBSERVATORY_STORES = join(",", probe.stores)
        },
        probe.strategy == "extension" ? {
          PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = tostring(var.extension_http_port)
          SECRETS_MANAGER_TTL                    = tostring(var.cache_ttl_seconds)
          SSM_PARAMETER_STORE_TTL                = tostring(var.cache_ttl_seconds)
        } : {},
        probe.strategy == "powertools" ? {
          POWERTOOLS_PARAMETERS_MAX_AGE = tostring(var.cache_ttl_seconds)
        } : {},
        # cloud_extensions: the variant, and the profile its runtime loads (AWS) or its settings (the lab's
        # emulator, which cannot call the profile API; lab-only)
        probe.strategy == "cloud_extensions" ? {
          OBSERVATORY_PREFETCH = tostring(probe.prefetch)
        } : {},
        probe.strategy == "cloud_extensions" && var.environment == "aws" ? {
          AWS_CLOUDEXTENSIONS_PROFILE = local.cloud_extensions_profiles[probe.prefetch ? "prefetch" : "plain"].name
        } : {},
        probe.strategy == "cloud_extensions" && var.environment == "lab" ? {
          OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE = local.cloud_extensions_lab_profiles[probe.prefetch ? "prefetch" : "plain"]
        } : {},
      )
      policy_name = "probe"
      policy      = data.aws_iam_policy_document.probe[key].json
      preconditions = [
        {
          condition     = probe.strategy != "extension" || contains(keys(local.extension_layers), probe.architecture)
          error_message = "No Parameters and Secrets extension layer is known for this region and architecture: set extension_layer_arns."
        },
        {
          condition     = probe.strategy != "cloud_extensions" || contains(keys(local.cloud_extensions_layers), probe.architecture)
          error_message = "No Cloud Extensions runtime layer is known for this architecture: set cloud_extensions_layer_arns."
        },
        {
          # fleet.runtimes null takes var.runtime, which fleet's own rule cannot read
          condition     = !contains(["otel", "adot"], probe.tracing) || probe.runtime != "python3.9"
          error_message = "Tracing otel and adot need python3.10 or newer (OpenTelemetry Python 1.45, AWS's ADOT layer): this probe's runtime is python3.9."
        },
        {
          condition     = probe.tracing != "adot" || length(setintersection(keys(local.adot_layers), [probe.architecture, "${probe.runtime}-${probe.architecture}"])) > 0
          error_message = "No ADOT Python layer is known for this region and architecture: set adot_layer_arns."
        },
        {
          condition     = contains(keys(local.manifest), "probe-code.zip")
          error_message = "${var.artifacts_dir}/manifest.json lists no probe-code.zip: run `make build` (python -m tools.build --out ${var.artifacts_dir})."
        },
      ]
    }
  }
  destinations_policy = { name = "destination", json = data.aws_iam_policy_document.probe_destination.json }
  code                = local.code["probe-code.zip"]
  async_invoke = {
    maximum_retry_attempts       = var.async_retry_attempts
    maximum_event_age_in_seconds = var.max_event_age_seconds
    destinations = {
      on_success = module.collector.function_arns["collector"]
      on_failure = module.collector.function_arns["collector"]
    }
  }
  log_retention_days = var.log_retention_days
  tags               = local.tags

  # A cloud_extensions probe's runtime loads its profile when the function starts.
  depends_on = [terraform_data.cloud_extensions_profile]
}
