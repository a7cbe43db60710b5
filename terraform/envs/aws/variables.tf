variable "region" {
  description = "AWS region to deploy the observatory into; null: the provider's own chain (AWS_REGION, AWS_DEFAULT_REGION, the profile's region). `make deploy`/`destroy`/`preflight` always pass the region tools/region.py chose (REGION=, TF_VAR_region, this setting, AWS_REGION, the profile) and show where it came from."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or ap-northeast-1 (or null)."
  }
}

variable "max_memory_mb" {
  description = "The most memory per function your account allows (MB); plan refuses larger tiers. null: Lambda's own limit; new accounts have less (`make preflight` says so where Service Quotas lists it)."
  type        = number
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "slo"
}

variable "fleet" {
  description = "The probe catalogue: strategies x memory tiers (MB) x architectures x runtimes (null: [runtime]; python3.11-python3.13 on AWS) x tracing (off, subsegments, patch_all, otel, adot; otel and adot on python3.10+); stores null: every store each strategy reads; prefetch: cloud_extensions prefetch variants ([false, true]: both, each at every tier). arm64 needs the build's arm64 zips."
  type = object({
    strategies    = optional(list(string), ["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"])
    memory_sizes  = optional(list(number), [128, 1769])
    architectures = optional(list(string), ["x86_64"])
    runtimes      = optional(list(string))
    tracing       = optional(list(string), ["subsegments"])
    stores        = optional(list(string))
    prefetch      = optional(list(bool), [false, true])
  })
  default = {}
}

variable "tracing_comparison" {
  description = "Probes beside the fleet's cross product that compare tracing modes: strategies x memory_sizes x tracing on the runtime variable's runtime, e.g. { strategies = [\"extension\", \"sdk\"], memory_sizes = [128], tracing = [\"off\", \"subsegments\", \"otel\", \"adot\"] } as the lab's default (otel probes get the deps-otel layer, adot probes AWS's ADOT layer). {}: none."
  type = object({
    strategies   = optional(list(string), [])
    memory_sizes = optional(list(number), [])
    tracing      = optional(list(string), [])
  })
  default = {}
}

variable "schedule_expression" {
  description = "How often every probe runs (rate() between 1 minute and 12 hours)."
  type        = string
  default     = "rate(15 minutes)"
}

variable "cache_ttl_seconds" {
  description = "Cache TTL of every caching strategy; shorter than the schedule interval."
  type        = number
  default     = 60
}

variable "warm_samples" {
  description = "Warm hits per store (caching strategies)."
  type        = number
  default     = 100
}

variable "sdk_warm_samples" {
  description = "Repeated calls per store (sdk strategy); each is a billed API call."
  type        = number
  default     = 10
}

variable "probe_timeout_seconds" {
  description = "Timeout of each probe; it bounds warm_samples at the smallest memory tier (see the module's rule)."
  type        = number
  default     = 120
}

variable "retention_days" {
  description = "Rows expire this many days after they were taken."
  type        = number
  default     = 90
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 14
}

variable "runtime" {
  description = "Lambda runtime of the collector and the compactor, and of the probes unless fleet.runtimes says otherwise: python3.11, python3.12 or python3.13. `make build` (and so `make deploy`) asks Terraform for it and builds the zips for it."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.11, python3.12, python3.13 on AWS: the code needs Python 3.11+, the pinned AWS provider 5.100.0 knows nothing newer than python3.13, and Lambda no longer creates older runtimes."
  }
}

variable "artifacts_dir" {
  description = "Build output (manifest.json and zips); default: the repository's build/ (make build)."
  type        = string
  default     = null
}

variable "code_bucket" {
  description = "An S3 bucket of yours, in this region, to deploy the zips from (null: each function uploads its own). Functions created from a bucket are created side by side; from local files the provider creates them one at a time, which a large fleet notices."
  type        = string
  default     = null
}

variable "extension_layer_arns" {
  description = "Override of AWS's extension layer per architecture; default: the region's entry in the module's layer table."
  type        = map(string)
  default     = {}
}

variable "cloud_extensions_layer_arns" {
  description = "Pinned Cloud Extensions runtime layer per architecture ({x86_64 = ARN}); default: the latest AWS publishes (public SSM parameter, read at plan time). Rows record the ARN that ran."
  type        = map(string)
  default     = {}
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified by the alarms: dead-letter queues, freshness, each probe gone quiet."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}

variable "digest_retention_days" {
  description = "Daily digests expire this many days after their day; rows keep retention_days."
  type        = number
  default     = 3650
}

variable "home_region" {
  description = "Region of the deployment holding the measurements table (same account and name_prefix): null or this region: this deployment holds it and runs the compactor; another region: its probes and collector run here and write there (`make deploy-regions`; terraform/README.md, \"Several regions\")."
  type        = string
  default     = null
}

variable "publish" {
  description = "Open data (off by default): a bucket the compactor writes each settled day's files to. { enabled, public_read (anyone may read the files), bucket_name, prefix, noncurrent_days, force_destroy }: see the module's variable."
  type = object({
    enabled         = optional(bool, false)
    public_read     = optional(bool, false)
    bucket_name     = optional(string)
    prefix          = optional(string, "")
    noncurrent_days = optional(number, 30)
    force_destroy   = optional(bool, false)
  })
  default = {}
}
