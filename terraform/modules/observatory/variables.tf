# Lambda's memory range, in MB: every memory size here is checked against it.
locals {
  memory_mb = { min = 128, max = 10240 }
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several observatories can share an account."
  type        = string
  default     = "slo"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.name_prefix))
    error_message = "name_prefix must be 2-16 characters: lower-case letters, digits and '-', starting with a letter."
  }

  # The schedule group is named name_prefix, and every account and region already has EventBridge Scheduler's own
  # group "default", which cannot be created, edited or deleted (docs/reference/account-limits.md).
  validation {
    condition     = var.name_prefix != "default"
    error_message = "name_prefix \"default\" is EventBridge Scheduler's built-in schedule group, present in every account and region (it cannot be created, edited or deleted): choose another prefix."
  }
}

variable "max_memory_mb" {
  description = "The most memory per function (MB) the account allows; null: Lambda's own limit (local.memory_mb.max). New accounts have reduced memory quotas (`make preflight` names the account's where Service Quotas lists one). Every memory tier, the collector's and the compactor's memory must fit, or plan refuses them."
  type        = number
  default     = null

  validation {
    condition     = var.max_memory_mb == null || try(var.max_memory_mb >= local.memory_mb.min && var.max_memory_mb <= local.memory_mb.max && floor(var.max_memory_mb) == var.max_memory_mb, false)
    error_message = "max_memory_mb must be a whole number of MB between ${local.memory_mb.min} and ${local.memory_mb.max}."
  }
  validation {
    condition = alltrue([
      for m in concat(var.fleet.memory_sizes, [var.collector.memory_size, var.compactor.memory_size]) : m <= coalesce(var.max_memory_mb, local.memory_mb.max)
    ])
    error_message = "The account allows at most ${coalesce(var.max_memory_mb, local.memory_mb.max)} MB per function (max_memory_mb), and CreateFunction would refuse ${join(", ", [for m in distinct(concat(var.fleet.memory_sizes, [var.collector.memory_size, var.compactor.memory_size])) : "${m} MB" if m > coalesce(var.max_memory_mb, local.memory_mb.max)])}: lower fleet.memory_sizes (or collector/compactor memory_size), or ask AWS for a higher memory quota."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Where the fleet runs, recorded in every row: 'aws' (a real account) or 'lab' (the local lab)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "lab"], var.environment)
    error_message = "environment must be 'aws' or 'lab'."
  }
}

variable "fleet" {
  description = "The probe catalogue: one probe function per strategy x memory tier (MB) x architecture x runtime x tracing mode (x prefetch, for cloud_extensions: [false], [true] or both; other strategies have no prefetch). runtimes null: [runtime]; stores null: every store each strategy reads."
  type = object({
    strategies    = optional(list(string), ["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"])
    memory_sizes  = optional(list(number), [128])
    architectures = optional(list(string), ["x86_64"])
    runtimes      = optional(list(string))
    tracing       = optional(list(string), ["subsegments"])
    stores        = optional(list(string))
    prefetch      = optional(list(bool), [false])
  })
  default = {}

  validation {
    condition = length(var.fleet.strategies) > 0 && alltrue([
      for s in var.fleet.strategies : contains(["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"], s)
    ])
    error_message = "fleet.strategies must be a non-empty list of: extension, sdk, dict, caching_lib, powertools, cloud_extensions."
  }

  validation {
    condition     = length(var.fleet.prefetch) > 0 && length(distinct(var.fleet.prefetch)) == length(var.fleet.prefetch)
    error_message = "fleet.prefetch must be [false], [true] or [false, true]: the cloud_extensions variants (with the secret prefetched at the runtime's start or not)."
  }

  validation {
    condition = length(var.fleet.memory_sizes) > 0 && alltrue([
      for m in var.fleet.memory_sizes : m >= local.memory_mb.min && m <= local.memory_mb.max && floor(m) == m
    ])
    error_message = "fleet.memory_sizes must be a non-empty list of whole MB between ${local.memory_mb.min} and ${local.memory_mb.max}."
  }

  validation {
    condition = length(var.fleet.architectures) > 0 && alltrue([
      for a in var.fleet.architectures : contains(["x86_64", "arm64"], a)
    ])
    error_message = "fleet.architectures must be a non-empty list of: x86_64, arm64."
  }

  # The lab runs every runtime the probe supports (with that Python found on the machine).
  validation {
    condition = var.fleet.runtimes == null || (length(coalesce(var.fleet.runtimes, [])) > 0 && alltrue([
      for r in coalesce(var.fleet.runtimes, []) : contains(["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"], r)
    ]))
    error_message = "fleet.runtimes must be null (the runtime variable) or a non-empty list of: python3.9, python3.10, python3.11, python3.12, python3.13."
  }

  # Lambda's deprecation table (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), looked up 2026-12-01:
  # python3.9 deprecated 2025-12-15, its create-block date reported differently by the copies found, python3.10
  # deprecated or close to it (terraform/README.md, "Runtimes on AWS"); the pinned provider hashicorp/aws 5.100.0
  # knows nothing after python3.13. The lab runs the older ones. (null: var.runtime's own rule checks it; reading
  # var.runtime here would make terraform skip every rule reading var.fleet whenever var.runtime is invalid.)
  validation {
    condition = var.environment != "aws" || alltrue([
      for r in coalesce(var.fleet.runtimes, []) : contains(["python3.11", "python3.12", "python3.13"], r)
    ])
    error_message = "fleet.runtimes must be among python3.11, python3.12, python3.13 on AWS: Lambda deprecated python3.9 on 2025-12-15 and blocks creating functions on it (from a date the copies of its table disagree on; python3.10 is deprecated or close to it; see terraform/README.md), and the pinned AWS provider 5.100.0 knows nothing newer than python3.13. The lab (environment = lab) runs python3.9 to python3.13."
  }

  validation {
    condition = length(var.fleet.tracing) > 0 && alltrue([
      for t in var.fleet.tracing : contains(["off", "subsegments", "patch_all", "otel", "adot"], t)
    ])
    error_message = "fleet.tracing must be a non-empty list of: off, subsegments, patch_all, otel, adot."
  }

  # OpenTelemetry Python 1.45 (otel) and aws-opentelemetry-distro with AWS's ADOT layer (adot) need Python 3.10+.
  validation {
    condition = !anytrue([for t in var.fleet.tracing : contains(["otel", "adot"], t)]) || alltrue([
      for r in coalesce(var.fleet.runtimes, ["python3.10"]) : contains(["python3.10", "python3.11", "python3.12", "python3.13"], r)
    ])
    error_message = "fleet.tracing otel and adot run on python3.10, python3.11, python3.12, python3.13 only (opentelemetry-sdk 1.45 and aws-opentelemetry-distro need Python 3.10; AWS's ADOT Python layer is published for python3.10 to python3.14): drop python3.9 from fleet.runtimes, or deploy the OpenTelemetry modes apart."
  }

  validation {
    condition = var.fleet.stores == null || (length(coalesce(var.fleet.stores, [])) > 0 && alltrue([
      for s in coalesce(var.fleet.stores, []) : contains(["secretsmanager", "ssm"], s)
    ]))
    error_message = "fleet.stores must be null (every store each strategy reads) or a non-empty list of: secretsmanager, ssm."
  }

  # A probe measures the stores its strategy reads among fleet.stores; caching_lib reads Secrets Manager only.
  validation {
    condition = alltrue([
      for s in coalesce(var.fleet.stores, ["secretsmanager"]) : anytrue([
        for strategy in var.fleet.strategies : strategy != "caching_lib" || s == "secretsmanager"
      ])
    ])
    error_message = "fleet.stores names a store none of fleet.strategies reads (caching_lib reads secretsmanager only)."
  }
}

variable "tracing_comparison" {
  description = "Probes beside the fleet's cross product, to compare tracing modes: strategies x memory_sizes (MB) x tracing, on the runtime variable's runtime and every fleet architecture, without the prefetch variant, reading the fleet's stores; keyed as the fleet keys them (a probe in both is one probe). Empty (default): none. The lab's default fleet compares off, subsegments, otel and adot at 128 MB."
  type = object({
    strategies   = optional(list(string), [])
    memory_sizes = optional(list(number), [])
    tracing      = optional(list(string), [])
  })
  default = {}

  validation {
    condition = alltrue([
      for s in var.tracing_comparison.strategies : contains(["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"], s)
    ])
    error_message = "tracing_comparison.strategies must be among: extension, sdk, dict, caching_lib, powertools, cloud_extensions."
  }

  validation {
    condition = alltrue([
      for m in var.tracing_comparison.memory_sizes : m >= local.memory_mb.min && m <= local.memory_mb.max && floor(m) == m
    ])
    error_message = "tracing_comparison.memory_sizes must be whole MB between ${local.memory_mb.min} and ${local.memory_mb.max}."
  }

  validation {
    condition = alltrue([
      for t in var.tracing_comparison.tracing : contains(["off", "subsegments", "patch_all", "otel", "adot"], t)
    ])
    error_message = "tracing_comparison.tracing must be among: off, subsegments, patch_all, otel, adot."
  }

  # all three or none: a comparison missing one list would silently add no probe
  validation {
    condition = length(distinct([
      for list in [var.tracing_comparison.strategies, var.tracing_comparison.memory_sizes, var.tracing_comparison.tracing] : length(list) > 0
    ])) == 1
    error_message = "tracing_comparison must name strategies, memory_sizes and tracing together (or none of them)."
  }

  # Its probes run on var.runtime (no other variable's rule reads tracing_comparison: terraform skips a
  # variable's rules when one reads another invalid variable).
  validation {
    condition = alltrue([
      for t in var.tracing_comparison.tracing : contains(["otel", "adot"], t) ? contains(["python3.10", "python3.11", "python3.12", "python3.13"], var.runtime) : true
    ])
    error_message = "tracing_comparison.tracing otel and adot run on python3.10, python3.11, python3.12, python3.13 only (opentelemetry-sdk 1.45 and aws-opentelemetry-distro need Python 3.10): the comparison's probes run on the runtime variable's runtime."
  }

  # its probes' warm samples must finish within the timeout at its smallest memory, as the fleet's (warm_samples)
  validation {
    condition     = try(max(var.warm_samples * 2 * 0.04, var.sdk_warm_samples * 2 * 0.2) * 128 / min(var.tracing_comparison.memory_sizes...) + 10 <= var.probe_timeout_seconds, true)
    error_message = "warm_samples or sdk_warm_samples cannot finish within probe_timeout_seconds at tracing_comparison's smallest memory (the rules of warm_samples and sdk_warm_samples, at that memory)."
  }
}

variable "dependency_set" {
  description = "The probes' dependency layer: 'current' (today's pinned libraries) or '2022' (the 2022 run's: requests 2.28.1, aws-xray-sdk 2.10.0, boto3 of 2022; python3.9 only)."
  type        = string
  default     = "current"

  validation {
    condition     = contains(["current", "2022"], var.dependency_set)
    error_message = "dependency_set must be 'current' or '2022'."
  }

  validation {
    condition     = var.dependency_set != "2022" || ((var.fleet.runtimes != null ? var.fleet.runtimes : [var.runtime]) == tolist(["python3.9"]) && length(var.tracing_comparison.tracing) == 0)
    error_message = "dependency_set '2022' exists for python3.9 only (the 2022 run's libraries, several of which install for no newer Python): set fleet.runtimes = [\"python3.9\"] and no tracing_comparison (its probes run on the runtime variable's runtime)."
  }
}

variable "runtime" {
  description = "Lambda Python runtime of the collector and the compactor, and of the probes unless fleet.runtimes says otherwise; `make build` builds for it."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.9, python3.10, python3.11, python3.12, python3.13: the runtimes the probe runs on (the lab runs them all)."
  }

  # The code imports datetime.UTC (Python 3.11+); hashicorp/aws 5.100.0 knows no runtime after python3.13 (it
  # rejects python3.14); Lambda no longer creates functions on python3.9 and older. The lab may run others.
  validation {
    condition     = var.environment != "aws" || contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.11, python3.12, python3.13 on AWS: the code needs Python 3.11+, the pinned AWS provider 5.100.0 knows nothing newer than python3.13, and Lambda no longer creates older runtimes."
  }
}

variable "artifacts_dir" {
  description = "Directory holding the build output: manifest.json and the zips it lists (python -m tools.build --out DIR)."
  type        = string
  default     = "build"
}

variable "code_bucket" {
  description = "An existing S3 bucket to deploy the built zips from, each under <name_prefix>/<sha256>/ (null: every function and layer uploads its zip itself). From a bucket Terraform creates the functions side by side; from local files the AWS provider creates them one at a time, each waiting until the last is Active."
  type        = string
  default     = null
}

variable "schedule_expression" {
  description = "How often every probe runs, as an EventBridge Scheduler rate(): 'rate(15 minutes)', 'rate(1 hour)'. Between 1 minute and 12 hours."
  type        = string
  default     = "rate(15 minutes)"

  # local.rate_format (schedule.tf); at most 720 minutes or 12 hours.
  validation {
    condition = (
      can(regex(local.rate_format, var.schedule_expression)) &&
      can(regex("^rate\\(([0-9]{1,2}|[1-6][0-9]{2}|7[01][0-9]|720) minutes?\\)$|^rate\\(([0-9]|1[0-2]) hours?\\)$", var.schedule_expression))
    )
    error_message = "schedule_expression must be rate(1 minute), rate(N minutes), rate(1 hour) or rate(N hours) (singular for 1, plural above, as EventBridge requires), between 1 minute and 12 hours."
  }
}

# Warm samples must finish within the probe's timeout at the fleet's smallest memory. A warm hit at 128 MB takes
# up to two CFS periods (2 x 20 ms = 40 ms; the 2022 reference run's p90 was 40.4 ms), and the CPU share grows
# with memory, so one hit costs 0.04 s x 128 / memory_mb; a run times two stores; 10 s covers the cold work
# (the two misses and client creation). An sdk sample is an API round trip: 0.2 s x 128 / memory_mb.
#   warm_samples     x 2 x 0.04 s x 128 / min(memory_sizes) + 10 s <= probe_timeout_seconds
#   sdk_warm_samples x 2 x 0.2  s x 128 / min(memory_sizes) + 10 s <= probe_timeout_seconds

variable "warm_samples" {
  description = "Warm hits timed per store by the caching strategies (extension, dict, caching_lib, powertools)."
  type        = number
  default     = 100

  validation {
    condition     = var.warm_samples >= 1 && var.warm_samples <= 10000 && floor(var.warm_samples) == var.warm_samples
    error_message = "warm_samples must be a whole number between 1 and 10000."
  }

  validation {
    condition     = try(var.warm_samples * 2 * 0.04 * 128 / min(var.fleet.memory_sizes...) + 10 <= var.probe_timeout_seconds, true)
    error_message = "warm_samples cannot finish within probe_timeout_seconds at the fleet's smallest memory: a warm hit takes up to 2 CFS periods (0.04 s at 128 MB, x 128 / memory_mb), so warm_samples x 2 stores x 0.04 s x 128 / min(memory_sizes) + 10 s of cold work must be <= probe_timeout_seconds (at 128 MB and 120 s: at most 1375)."
  }
}

variable "sdk_warm_samples" {
  description = "Repeated calls timed per store by the 'sdk' strategy; each one is a billed API call, so fewer by default."
  type        = number
  default     = 10

  validation {
    condition     = var.sdk_warm_samples >= 1 && var.sdk_warm_samples <= 10000 && floor(var.sdk_warm_samples) == var.sdk_warm_samples
    error_message = "sdk_warm_samples must be a whole number between 1 and 10000."
  }

  validation {
    condition     = try(var.sdk_warm_samples * 2 * 0.2 * 128 / min(var.fleet.memory_sizes...) + 10 <= var.probe_timeout_seconds, true)
    error_message = "sdk_warm_samples cannot finish within probe_timeout_seconds at the fleet's smallest memory: an API call takes up to 0.2 s at 128 MB (x 128 / memory_mb), so sdk_warm_samples x 2 stores x 0.2 s x 128 / min(memory_sizes) + 10 s of cold work must be <= probe_timeout_seconds (at 128 MB and 120 s: at most 275)."
  }
}

variable "cache_ttl_seconds" {
  description = "Cache TTL of every caching strategy, 1-300 s (the extension's range). Shorter than the shortest gap between two scheduled runs, so each run starts with a miss."
  type        = number
  default     = 60

  # The extension documents 0-300 s for SECRETS_MANAGER_TTL and SSM_PARAMETER_STORE_TTL; 0 disables the cache
  # being measured, and the other strategies get the same TTL so the strategies stay comparable.
  validation {
    condition     = var.cache_ttl_seconds >= 1 && var.cache_ttl_seconds <= 300 && floor(var.cache_ttl_seconds) == var.cache_ttl_seconds
    error_message = "cache_ttl_seconds must be a whole number of seconds between 1 and 300: the extension accepts 0-300 s for SECRETS_MANAGER_TTL and SSM_PARAMETER_STORE_TTL, and 0 would disable the cache being measured."
  }

  # Runs are spread over a flexible window of min(5 min, interval / 3) (schedule.tf), so two runs are at least
  # interval - window apart.
  validation {
    condition     = try(var.cache_ttl_seconds < local.schedule_interval - 60 * local.schedule_window_minutes, false)
    error_message = "cache_ttl_seconds must be shorter than the schedule interval minus its flexible window (min(5 minutes, interval / 3)), or a scheduled run could hit a warm cache."
  }
}

variable "probe_timeout_seconds" {
  description = "Timeout of each probe function; 128 MB extension probes need seconds for their warm hits (see warm_samples)."
  type        = number
  default     = 120

  validation {
    condition     = var.probe_timeout_seconds >= 3 && var.probe_timeout_seconds <= 900
    error_message = "probe_timeout_seconds must be between 3 and 900."
  }
}

variable "collector" {
  description = "The collector function's memory (MB), architecture and timeout (seconds)."
  type = object({
    memory_size     = optional(number, 256)
    architecture    = optional(string, "x86_64")
    timeout_seconds = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.collector.memory_size >= local.memory_mb.min && var.collector.memory_size <= local.memory_mb.max
    error_message = "collector.memory_size must be between ${local.memory_mb.min} and ${local.memory_mb.max}."
  }

  validation {
    condition     = contains(["x86_64", "arm64"], var.collector.architecture)
    error_message = "collector.architecture must be x86_64 or arm64."
  }

  validation {
    condition     = var.collector.timeout_seconds >= 3 && var.collector.timeout_seconds <= 900
    error_message = "collector.timeout_seconds must be between 3 and 900."
  }
}

variable "extension_layer_arns" {
  description = "Override of the extension layer per architecture ({x86_64 = ARN}); default: AWS's layer for the region from layer-arns.json."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arch, arn in var.extension_layer_arns : contains(["x86_64", "arm64"], arch) && can(regex("^arn:[a-z-]+:lambda:", arn))])
    error_message = "extension_layer_arns keys must be x86_64 or arm64 and values Lambda layer version ARNs."
  }
}

variable "adot_layer_arns" {
  description = "The ADOT Python layer (AWSOpenTelemetryDistroPython) per architecture ({x86_64 = ARN}), or per runtime and architecture ({\"python3.11-x86_64\" = ARN}, which wins), for adot probes; default: AWS's layer for the region from adot-layer-arns.json. envs/local passes the lab's layers built from the same distribution, one per runtime."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for key, arn in var.adot_layer_arns : contains(["x86_64", "arm64"], key) || can(regex("^python3\\.[0-9]+-(x86_64|arm64)$", key))
    ]) && alltrue([for key, arn in var.adot_layer_arns : can(regex("^arn:[a-z-]+:lambda:", arn))])
    error_message = "adot_layer_arns keys must be x86_64, arm64 or python3.X-x86_64, python3.X-arm64 and values Lambda layer version ARNs."
  }
}

variable "otlp_traces_endpoint" {
  description = "Where otel probes send spans (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTLP/HTTP); null: X-Ray's OTLP endpoint of the region, https://xray.{region}.amazonaws.com/v1/traces (signed with SigV4; needs CloudWatch Transaction Search). The lab passes its trace store."
  type        = string
  default     = null
}

variable "cloud_extensions_layer_arns" {
  description = "Override of the Cloud Extensions runtime layer per architecture ({x86_64 = ARN}); default: the ARN AWS publishes in the public SSM parameter /aws/service/aws-cloudextensions/lambda-extension/{amd64|arm64}/latest, read at plan time."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arch, arn in var.cloud_extensions_layer_arns : contains(["x86_64", "arm64"], arch) && can(regex("^arn:[a-z-]+:lambda:", arn))])
    error_message = "cloud_extensions_layer_arns keys must be x86_64 or arm64 and values Lambda layer version ARNs."
  }
}

variable "cloud_extensions_profile_step" {
  description = "On AWS, create and delete the cloud_extensions probes' Cloud Extensions profiles with tools.cloud_extensions_profile (terraform_data provisioners; the provider has no resource for the API). Off: the profiles are yours to make (names in output cloud_extensions_profiles). The lab never runs it: its emulator reads the settings from OBSERVATORY_LAB_CLOUD_EXTENSIONS_PROFILE."
  type        = bool
  default     = true
}

variable "tools_python" {
  description = "The Python that runs tools.cloud_extensions_profile from the repository's root: it needs boto3/botocore >= 1.44.18 (requirements/lock.txt, `make venv`)."
  type        = string
  default     = ".venv/bin/python"
}

variable "extension_http_port" {
  description = "Port the Parameters and Secrets extension listens on (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT)."
  type        = number
  default     = 2773

  validation {
    condition     = var.extension_http_port >= 1024 && var.extension_http_port <= 65535
    error_message = "extension_http_port must be between 1024 and 65535."
  }
}

variable "async_retry_attempts" {
  description = "Lambda's retries of a failed asynchronous probe invocation before it goes to the OnFailure destination."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.async_retry_attempts)
    error_message = "async_retry_attempts must be 0, 1 or 2."
  }
}

variable "max_event_age_seconds" {
  description = "How long Lambda keeps an unprocessed asynchronous event before it goes to the OnFailure destination."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_event_age_seconds >= 60 && var.max_event_age_seconds <= 21600
    error_message = "max_event_age_seconds must be between 60 and 21600."
  }
}

variable "retention_days" {
  description = "Measurement rows expire this many days after they were taken (DynamoDB TTL on expires_at)."
  type        = number
  default     = 90

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number between 1 and 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of every function's CloudWatch log group, in days (one of CloudWatch's allowed values)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a destroyed secret fixture stays recoverable. 0 (default) deletes the canary at once, so `make destroy` then `make deploy` can re-create its fixed name; with 7-30 a redeploy within that window fails (\"already scheduled for deletion\")."
  type        = number
  default     = 0

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when an alarm fires: a dead-letter queue not empty, no fresh data, a probe gone quiet."
  type        = list(string)
  default     = []
}

variable "dashboard_environment" {
  description = "Extra environment for the dashboard command output (the lab adds AWS_ENDPOINT_URL)."
  type        = map(string)
  default     = {}
}

variable "compactor" {
  description = "The compactor function (daily digests): memory (MB), timeout (s), its schedule, and how many closed days back it looks for a missing digest."
  type = object({
    memory_size         = optional(number, 1024)
    timeout_seconds     = optional(number, 900)
    schedule_expression = optional(string, "rate(1 hour)")
    catch_up_days       = optional(number, 14)
  })
  default = {}

  validation {
    condition     = var.compactor.memory_size >= local.memory_mb.min && var.compactor.memory_size <= local.memory_mb.max
    error_message = "compactor.memory_size must be between ${local.memory_mb.min} and ${local.memory_mb.max}."
  }

  validation {
    condition     = var.compactor.timeout_seconds >= 60 && var.compactor.timeout_seconds <= 900
    error_message = "compactor.timeout_seconds must be between 60 and 900: a run stops starting days a minute before it."
  }

  validation {
    # EventBridge's units, as for schedule_expression: singular for 1, plural above.
    condition     = can(regex(local.rate_format, var.compactor.schedule_expression))
    error_message = "compactor.schedule_expression must be rate(1 minute), rate(N minutes), rate(1 hour) or rate(N hours) (singular for 1, plural above, as EventBridge requires)."
  }

  validation {
    condition     = var.compactor.catch_up_days >= 1 && var.compactor.catch_up_days <= 366 && floor(var.compactor.catch_up_days) == var.compactor.catch_up_days
    error_message = "compactor.catch_up_days must be a whole number between 1 and 366."
  }
}

variable "digest_retention_days" {
  description = "Daily digests expire this many days after their day (DynamoDB TTL); rows keep retention_days. Years by default, so trends outlive the rows."
  type        = number
  default     = 3650

  validation {
    condition     = var.digest_retention_days >= 1 && var.digest_retention_days <= 36500 && floor(var.digest_retention_days) == var.digest_retention_days
    error_message = "digest_retention_days must be a whole number between 1 and 36500."
  }
}

variable "home_table" {
  description = "Write rows to the measurements table of this observatory's deployment in another region (same account, same name_prefix), instead of creating a table here: {region = \"us-east-1\"}. The probes and the collector run in this region; the table, its digests and the compactor are the home region's. null: this deployment owns its table and runs the compactor. terraform/README.md, \"Several regions\"."
  type = object({
    region = string
  })
  default = null

  validation {
    condition     = var.home_table == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", try(var.home_table.region, "")))
    error_message = "home_table.region must be an AWS region code, e.g. us-east-1."
  }

  validation {
    condition     = var.home_table == null || try(var.home_table.region, "") != data.aws_region.current.name
    error_message = "home_table.region is this deployment's own region: set home_table = null, so this deployment holds the table."
  }
}

variable "publish" {
  description = "Open data: a bucket to which the compactor writes each settled day's files (Parquet and CSV, schema.json, a README). Off unless enabled; private unless public_read (anyone may then read the files, never list or write). bucket_name: null for a generated `{name_prefix}-open-data-…` name; prefix: a key prefix; noncurrent_days: how long a republished day's earlier files stay; force_destroy: let destroy delete a bucket that holds files."
  type = object({
    enabled         = optional(bool, false)
    public_read     = optional(bool, false)
    bucket_name     = optional(string)
    prefix          = optional(string, "")
    noncurrent_days = optional(number, 30)
    force_destroy   = optional(bool, false)
  })
  default = {}

  validation {
    condition     = var.publish.enabled || !var.publish.public_read
    error_message = "publish.public_read needs publish.enabled = true."
  }

  validation {
    # S3's rules for general purpose bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens,
    # beginning and ending with a letter or digit.
    condition     = var.publish.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.publish.bucket_name, "-")))
    error_message = "publish.bucket_name must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit (or null for a generated name)."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()/-]*$", var.publish.prefix))
    error_message = "publish.prefix may hold only letters, digits and !_.*'()/- (S3's safe key characters)."
  }

  validation {
    condition     = var.publish.noncurrent_days >= 1
    error_message = "publish.noncurrent_days must be at least 1."
  }
}
