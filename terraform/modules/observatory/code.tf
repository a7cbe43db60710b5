# The built zips in the deployment bucket, when var.code_bucket names one. Each key holds the zip's SHA-256, so a
# rebuilt zip is a new object (and the functions and layers that run it are updated), an unchanged one is not
# uploaded again, and the collector and the compactor share one upload of their zip.

resource "aws_s3_object" "code" {
  #checkov:skip=CKV_AWS_186: build output with no secret in it; the bucket's own default encryption applies
  for_each = local.code_objects

  bucket = var.code_bucket
  key    = "${var.name_prefix}/${each.value.sha256_hex}/${each.key}"
  source = each.value.file
  tags   = local.tags
}

# CreateFunction cannot read a zip from a bucket in another region (it fails at apply with a redirect): the bucket's
# region, read at plan time, must be the deployment's. On AWS only: the lab creates its bucket in the same apply.
data "aws_s3_bucket" "code" {
  count  = var.code_bucket != null && var.environment == "aws" ? 1 : 0
  bucket = var.code_bucket

  lifecycle {
    postcondition {
      condition     = self.region == data.aws_region.current.name
      error_message = "code_bucket ${var.code_bucket} is in ${self.region}, the deployment in ${data.aws_region.current.name}: Lambda creates functions only from a bucket in their own region. Use a bucket in ${data.aws_region.current.name}, or code_bucket = null (each function uploads its zip)."
    }
  }
}
