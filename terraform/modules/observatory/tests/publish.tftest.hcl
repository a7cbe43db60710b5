# The open data bucket (publish.tf): absent unless enabled; private unless public_read; the compactor told where
# to publish and allowed to write only there. Planned with the mock provider (no account, no network).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  artifacts_dir = "tests/build"
  environment   = "aws"
}

run "publish_is_off_by_default" {
  command = plan
  assert {
    condition     = length(aws_s3_bucket.publish) == 0 && output.publish_bucket_name == null && output.publish_url == null
    error_message = "a bucket was planned without publish.enabled"
  }
  assert {
    condition     = length(local.publish_environment) == 0
    error_message = "the compactor was given publish settings without a bucket"
  }
}

run "publish_private_blocks_every_public_path" {
  command = plan
  variables {
    publish = { enabled = true, bucket_name = "team-open-data", prefix = "/observatory/" }
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.publish[0].block_public_acls && aws_s3_bucket_public_access_block.publish[0].ignore_public_acls
    error_message = "a private publish bucket must block public ACLs"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.publish[0].block_public_policy && aws_s3_bucket_public_access_block.publish[0].restrict_public_buckets
    error_message = "a private publish bucket must block public policies"
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.publish_bucket[0].statement : s.sid] == ["DenyInsecureTransport"]
    error_message = "a private bucket's policy grants more than it should"
  }
  assert {
    condition     = jsonencode(local.publish_environment) == jsonencode({ OBSERVATORY_PUBLISH_BUCKET = "team-open-data", OBSERVATORY_PUBLISH_PREFIX = "observatory/" })
    error_message = "publish environment ${jsonencode(local.publish_environment)}"
  }
  assert {
    condition     = output.publish_url == "s3://team-open-data/observatory/"
    error_message = "publish_url ${jsonencode(output.publish_url)}"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.publish[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must stay disabled"
  }
}

run "publish_public_read_lets_anyone_get_the_files_only" {
  command = plan
  variables {
    publish = { enabled = true, public_read = true, bucket_name = "team-open-data" }
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.publish[0].block_public_acls && aws_s3_bucket_public_access_block.publish[0].ignore_public_acls
    error_message = "public_read never opens ACLs"
  }
  assert {
    condition     = !aws_s3_bucket_public_access_block.publish[0].block_public_policy && !aws_s3_bucket_public_access_block.publish[0].restrict_public_buckets
    error_message = "public_read opens the bucket policy"
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.publish_bucket[0].statement : s.sid] == ["DenyInsecureTransport", "PublicReadOfTheFiles"]
    error_message = "public read is one statement beside the TLS rule"
  }
  assert {
    condition     = jsonencode(data.aws_iam_policy_document.publish_bucket[0].statement[1].actions) == jsonencode(["s3:GetObject"])
    error_message = "public read must be GetObject alone"
  }
}

run "refused_public_read_without_publish_and_a_bad_bucket_name" {
  command = plan
  variables {
    publish = { public_read = true, bucket_name = "Not_A_Bucket" }
  }
  expect_failures = [var.publish]
}
