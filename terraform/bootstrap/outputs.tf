output "bucket_name" {
  description = "The state bucket."
  value       = aws_s3_bucket.state.id
}

output "bucket_region" {
  description = "The state bucket's region."
  value       = data.aws_region.current.name
}

output "backend_config" {
  description = "envs/aws's partial S3 backend configuration (backend.hcl): S3's native lock file, no DynamoDB table."
  value = join("", [
    "bucket       = ${jsonencode(aws_s3_bucket.state.id)}\n",
    "key          = ${jsonencode(var.state_key)}\n",
    "region       = ${jsonencode(data.aws_region.current.name)}\n",
    "encrypt      = true\n",
    "use_lockfile = true\n",
  ])
}
