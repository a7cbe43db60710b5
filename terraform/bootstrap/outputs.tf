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
  # No `encrypt = true`: it makes the backend ask for SSE-S3 (AES256) on every write (seen with Terraform
  # 1.11.4), overriding the bucket's default; without it each state version gets the bucket's aws:kms.
  value = join("", [
    "bucket       = ${jsonencode(aws_s3_bucket.state.id)}\n",
    "key          = ${jsonencode(var.state_key)}\n",
    "region       = ${jsonencode(data.aws_region.current.name)}\n",
    "use_lockfile = true\n",
  ])
}
