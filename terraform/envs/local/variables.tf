variable "endpoint" {
  description = "The lab's local AWS endpoint (https with ca_bundle, or http), used for every service."
  type        = string
  default     = "https://localhost:4566"

  validation {
    condition     = can(regex("^https?://[^/]+/?$", var.endpoint))
    error_message = "endpoint must be an http(s) URL with no path, e.g. https://127.0.0.1:4566."
  }
}

variable "ca_bundle" {
  description = "PEM bundle that signs the endpoint's TLS certificate (the lab's CA); null for http or a public CA."
  type        = string
  default     = null
}

variable "region" {
  description = "Region the lab pretends to be."
  type        = string
  default     = "us-east-1"
}

variable "access_key" {
  description = "Access key the local endpoint accepts (any value works with the lab)."
  type        = string
  default     = "testing"
}

variable "secret_key" {
  description = "Secret key the local endpoint accepts (any value works with the lab)."
  type        = string
  default     = "testing"
  sensitive   = true
}

variable "artifacts_dir" {
  description = "Build output (manifest.json, probe/collector zips, extension-layer-<arch>.zip); default: the repository's build/."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "slo"
}

variable "runtime" {
  description = "Runtime of the collector and the compactor, and of the probes unless fleet.runtimes says otherwise. `make build` asks Terraform for it and builds the zips for it."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.9, python3.10, python3.11, python3.12, python3.13: the runtimes the probe runs on, each run by the lab with that Python found on this machine."
  }
}




variable "fleet" {
  description = "The probe catalogue, as envs/aws takes it: strategies x memory tiers (MB; the lab limits CPU in proportion) x architectures (one: this machine's, the lab runs only functions built for it) x runtimes (null: [runtime]; python3.9 to python3.13, each run by the lab with that Python found on this machine) x tracing (off, subsegments, patch_all, otel, adot; otel and adot on python3.10+); stores null: every store each strategy reads; prefetch: cloud_extensions prefetch variants ([false]: without prefetch only, to keep the lab's first round quick)."
  type = object({
    strategies    = optional(list(string), ["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"])
    memory_sizes  = optional(list(number), [128, 1769])
    architectures = optional(list(string), ["x86_64"])
    runtimes      = optional(list(string))
    tracing       = optional(list(string), ["subsegments"])
    stores        = optional(list(string))
    prefetch      = optional(list(bool), [false])
  })
  default = {}

  validation {
    condition     = length(distinct(var.fleet.architectures)) == 1
    error_message = "fleet.architectures must name one architecture in the lab, this machine's: the lab runs only functions built for it."
  }
}

variable "tracing_comparison" {
  description = "Probes beside the fleet's cross product that compare tracing modes (the module's variable): strategies x memory_sizes x tracing on the runtime variable's runtime (otel and adot: python3.10+). The default puts the extension and the direct SDK at 128 MB under off, subsegments, otel and adot in the lab's fleet, so \"What tracing costs\" has rows after `make up`. {}: none. A command that passes its own `fleet` (bench, replay) passes none unless it names one (lab/up.py)."
  type = object({
    strategies   = optional(list(string), [])
    memory_sizes = optional(list(number), [])
    tracing      = optional(list(string), [])
  })
  default = {
    strategies   = ["extension", "sdk"]
    memory_sizes = [128]
    tracing      = ["off", "subsegments", "otel", "adot"]
  }
}

variable "dependency_set" {
  description = "The probes' dependency layer: current, or 2022 (the 2022 run's libraries; fleet.runtimes = [\"python3.9\"] only)."
  type        = string
  default     = "current"
}




variable "schedule_expression" {
  description = "How often the lab's scheduler runs every probe."
  type        = string
  default     = "rate(5 minutes)"
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
  description = "Repeated calls per store (sdk strategy)."
  type        = number
  default     = 10
}

variable "retention_days" {
  description = "Rows expire this many days after they were taken."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = { Environment = "lab" }
}

variable "home_region" {
  description = "Region of the deployment holding the measurements table (same account and name_prefix): null or this region: this deployment holds it and runs the compactor; another region: its probes and collector run here and write there (`make deploy-regions`; terraform/README.md, \"Several regions\")."
  type        = string
  default     = null
}
