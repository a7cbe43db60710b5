variable "region" {
  description = "Region of the state bucket; null: AWS_REGION, then the profile's region (the provider's own chain)."
  type        = string
  default     = null
}

variable "bucket_name" {
  description = "Name of the state bucket; null: <name_prefix>-tfstate-<account id>-<region> (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters: lower-case letters, digits, dots and hyphens."
  }
}

variable "name_prefix" {
  description = "Prefix of the default bucket name (the observatory's own name_prefix)."
  type        = string
  default     = "slo"
}

variable "state_key" {
  description = "Object key of envs/aws's state in the bucket (written into backend.hcl)."
  type        = string
  default     = "secret-latency-observatory/aws.tfstate"
}

variable "noncurrent_version_days" {
  description = "Days a replaced state version is kept before S3 expires it (recovery window after a bad apply)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags of every taggable resource."
  type        = map(string)
  default     = { project = "secret-latency-observatory" }
}
