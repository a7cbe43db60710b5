output "dynamodb_table_name" {
  description = "The measurements table."
  value       = module.observatory.dynamodb_table_name
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

output "extension_layer_arn" {
  description = "The emulator layer version the extension probes carry."
  value       = aws_lambda_layer_version.extension.arn
}

output "fleet" {
  description = "The deployed catalogue: key => {strategy, memory_mb, architecture, runtime, tracing, stores}."
  value       = module.observatory.fleet
}

output "dashboard_command" {
  description = "Shell command that opens the dashboard on the lab's table."
  value       = module.observatory.dashboard_command
}

output "compactor_function_name" {
  description = "The compactor (daily digests), run by the lab's scheduler."
  value       = module.observatory.compactor_function_name
}
