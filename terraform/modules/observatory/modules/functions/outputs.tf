output "function_names" {
  description = "Function name per key."
  value       = { for key, function in aws_lambda_function.this : key => function.function_name }
}

output "function_arns" {
  description = "Function ARN per key."
  value       = { for key, function in aws_lambda_function.this : key => function.arn }
}
