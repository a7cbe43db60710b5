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
