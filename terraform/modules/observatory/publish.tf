# Open data (optional, off by default): an S3 bucket to which the compactor writes each settled day's files —
# rows and digests as Parquet, digests as CSV, schema.json and a README (collector/publish.py) — so a team can
# read the evidence without credentials to the table. Private unless publish.public_read: then anyone may read
# (GetObject) the files under the prefix; nobody but the compactor may write, and no one may list or use ACLs.

locals {
  publish        = var.publish.enabled ? 1 : 0
  publish_prefix = trim(var.publish.prefix, "/") == "" ? "" : "${trim(var.publish.prefix, "/")}/"
  publish_environment = var.publish.enabled ? {
    OBSERVATORY_PUBLISH_BUCKET = aws_s3_bucket.publish[0].bucket
    OBSERVATORY_PUBLISH_PREFIX = local.publish_prefix
  } : {}
}

resource "aws_s3_bucket" "publish" {
  #checkov:skip=CKV_AWS_18: access logs need a second bucket; the files are public evidence or a team's, not secrets
  #checkov:skip=CKV_AWS_144: every file is made again from the table by the compactor or `collector.export`
  #checkov:skip=CKV_AWS_145: SSE-S3 (AES256) encrypts every object; a KMS key would stop anonymous readers and cost $1/month
  #checkov:skip=CKV2_AWS_62: nothing reacts to a new day's files
  #checkov:skip=CKV2_AWS_6: its public access block is below; it blocks public policies unless publish.public_read opts in
  count = local.publish

  bucket        = var.publish.bucket_name
  bucket_prefix = var.publish.bucket_name == null ? "${var.name_prefix}-open-data-" : null
  force_destroy = var.publish.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "publish" {
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id

  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: access is the bucket policy's alone
  }
}

resource "aws_s3_bucket_public_access_block" "publish" {
  #checkov:skip=CKV_AWS_54: public policies are blocked unless the user opts in with publish.public_read (GetObject only)
  #checkov:skip=CKV_AWS_56: public buckets are restricted unless the user opts in with publish.public_read
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id

  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = !var.publish.public_read
  restrict_public_buckets = !var.publish.public_read
}

resource "aws_s3_bucket_server_side_encryption_configuration" "publish" {
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# A day published again (a backfill recomputed it) keeps its earlier files as noncurrent versions for a while,
# so a figure cited from them can still be checked.
resource "aws_s3_bucket_versioning" "publish" {
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "publish" {
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id

  rule {
    id     = "earlier-versions-and-unfinished-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.publish.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.publish]
}

data "aws_iam_policy_document" "publish_bucket" {
  count = local.publish

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.publish[0].arn,
      "${aws_s3_bucket.publish[0].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.publish.public_read ? [1] : []

    content {
      sid       = "PublicReadOfTheFiles"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.publish[0].arn}/${local.publish_prefix}*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "publish" {
  count  = local.publish
  bucket = aws_s3_bucket.publish[0].id
  policy = data.aws_iam_policy_document.publish_bucket[0].json

  # S3 refuses a public policy while Block Public Access still blocks it
  depends_on = [aws_s3_bucket_public_access_block.publish]
}
