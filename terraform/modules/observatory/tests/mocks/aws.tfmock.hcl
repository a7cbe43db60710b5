# The AWS provider as the module's tests plan with it (no account, no network): a region the extension layer
# table knows, and policy documents the provider accepts as JSON.

mock_data "aws_region" {
  defaults = {
    name = "us-east-1"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

# The code bucket is in the deployment's region unless a run overrides it.
mock_data "aws_s3_bucket" {
  defaults = {
    region = "us-east-1"
  }
}
