# The outputs of both environments: envs/local/outputs.tf is a symbolic link to this file.

output "dynamodb_table_name" {
  description = "The measurements table."
  value       = module.observatory.dynamodb_table_name
}

output "dynamodb_table_arn" {
  description = "ARN of the measurements table (the home region's under home_region)."
  value       = module.observatory.dynamodb_table_arn
}

output "table_region" {
  description = "Region of the measurements table (this region, or home_region's)."
  value       = module.observatory.table_region
}

output "probe_function_names" {
  description = "Probe function name per catalogue key."
  value       = module.observatory.probe_function_names
}

output "collector_function_name" {
  description = "The collector function."
  value       = module.observatory.collector_function_name
}

output "dead_letter_queue_url" {
  description = "The collector's dead-letter queue."
  value       = module.observatory.dead_letter_queue_url
}

output "schedule_dead_letter_queue_url" {
  description = "The schedules' dead-letter queue (scheduled probe runs that could not be delivered)."
  value       = module.observatory.schedule_dead_letter_queue_url
}

output "schedule_group_name" {
  description = "EventBridge Scheduler group with one schedule per probe."
  value       = module.observatory.schedule_group_name
}

output "fleet" {
  description = "The deployed catalogue: key => {strategy, memory_mb, architecture, runtime, tracing, stores}."
  value       = module.observatory.fleet
}

output "dashboard_command" {
  description = "Shell command that opens the dashboard on this deployment's table."
  value       = module.observatory.dashboard_command
}

output "cost_inputs" {
  description = "What `make cost` reads to estimate the monthly bill."
  value       = module.observatory.cost_inputs
}

output "compactor_function_name" {
  description = "The compactor (daily digests; the lab's scheduler runs it in the lab)."
  value       = module.observatory.compactor_function_name
}

output "publish_url" {
  description = "The open data files (publish.enabled): their HTTPS address when public, else s3://bucket/prefix/."
  value       = module.observatory.publish_url
}
