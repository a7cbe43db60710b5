variable "functions" {
  description = "The functions of one kind, by stable key (a probe's catalogue key, \"collector\", \"compactor\"): name, role, handler, size, environment, and `policy`, an aws_iam_policy_document JSON of what it does (its own logs and X-Ray are added here). `preconditions` must hold before it is created or changed."
  type = map(object({
    name             = string
    description      = string
    role_name        = string
    role_description = string
    handler          = string
    runtime          = string
    architecture     = string
    memory_size      = number
    timeout          = number
    layers           = optional(list(string), [])
    tracing_mode     = optional(string, "Active") # PassThrough: Lambda samples nothing of its own
    environment      = map(string)
    policy_name      = string
    policy           = string
    preconditions = optional(list(object({
      condition     = bool
      error_message = string
    })), [])
  }))
}

variable "destinations_policy" {
  description = "A second inline policy of every role here, {name, json}, for what exists only later (the probes' destination, the collector): the functions are created without waiting for it, their asynchronous-invoke configs wait. null: none."
  type = object({
    name = string
    json = string
  })
  default = null
}

variable "code" {
  description = "Where the functions' zip is: a local file (filename) or an S3 object (s3_bucket, s3_key), and its SHA-256 (base64)."
  type = object({
    filename         = optional(string)
    s3_bucket        = optional(string)
    s3_key           = optional(string)
    source_code_hash = optional(string)
  })
}

variable "async_invoke" {
  description = "Lambda's handling of an asynchronous invocation: retries, the event's maximum age, and destinations: {on_success = ARN, on_failure = ARN}, either or none (a map, so which there are is known before the ARNs are)."
  type = object({
    maximum_retry_attempts       = number
    maximum_event_age_in_seconds = number
    destinations                 = optional(map(string), {})
  })

  validation {
    condition     = alltrue([for name in keys(var.async_invoke.destinations) : contains(["on_success", "on_failure"], name)])
    error_message = "async_invoke.destinations takes on_success and on_failure only."
  }
}

variable "log_retention_days" {
  description = "Retention of each function's CloudWatch log group, in days."
  type        = number
  default     = 14
}

variable "tags" {
  description = "Tags of every taggable resource."
  type        = map(string)
  default     = {}
}
