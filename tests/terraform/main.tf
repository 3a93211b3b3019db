# The IAM resources people manage with Terraform, applied to and destroyed on a Castellan
# started by test_terraform.py (which passes the endpoint and writes the CLI config that
# installs hashicorp/aws from a local filesystem mirror).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

variable "endpoint" {
  type        = string
  description = "Castellan's URL, e.g. http://127.0.0.1:4260"
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

variable "prefix" {
  type    = string
  default = "tf"
}

provider "aws" {
  region     = "us-east-1"
  access_key = var.access_key
  secret_key = var.secret_key

  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }

  # The provider still calls sts:GetCallerIdentity (for the account id and to validate the
  # credentials): Castellan answers it. Only the EC2 metadata service and the region list
  # are out of reach.
  skip_metadata_api_check = true
  skip_region_validation  = true
}

data "aws_caller_identity" "current" {}

# --- users, groups, memberships -------------------------------------------------------

resource "aws_iam_user" "alice" {
  name          = "${var.prefix}-alice"
  path          = "/engineering/"
  force_destroy = true
  tags = {
    team = "platform"
  }
}

resource "aws_iam_user" "bob" {
  name          = "${var.prefix}-bob"
  force_destroy = true
}

resource "aws_iam_group" "developers" {
  name = "${var.prefix}-developers"
  path = "/engineering/"
}

resource "aws_iam_group" "readers" {
  name = "${var.prefix}-readers"
}

# Exclusive membership of one group...
resource "aws_iam_group_membership" "developers" {
  name  = "${var.prefix}-developers-membership"
  group = aws_iam_group.developers.name
  users = [aws_iam_user.alice.name, aws_iam_user.bob.name]
}

# ...and the per-user form.
resource "aws_iam_user_group_membership" "bob" {
  user   = aws_iam_user.bob.name
  groups = [aws_iam_group.readers.name]
}

# --- roles with trust policies, instance profiles --------------------------------------

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "account_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_iam_role" "app" {
  name                 = "${var.prefix}-app"
  path                 = "/service/"
  description          = "EC2 application role"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  max_session_duration = 7200
  tags = {
    app = "web"
  }
}

resource "aws_iam_role" "admin" {
  name               = "${var.prefix}-admin"
  assume_role_policy = data.aws_iam_policy_document.account_trust.json
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.prefix}-app-profile"
  role = aws_iam_role.app.name
}

# --- customer managed policies and attachments -----------------------------------------

data "aws_iam_policy_document" "s3_read" {
  statement {
    sid       = "ReadBucket"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"]
  }
}

resource "aws_iam_policy" "s3_read" {
  name        = "${var.prefix}-s3-read"
  path        = "/engineering/"
  description = "Read the example bucket"
  policy      = data.aws_iam_policy_document.s3_read.json
  tags = {
    owner = "platform"
  }
}

# A policy document written as a heredoc, the other way people write them.
resource "aws_iam_policy" "logs" {
  name   = "${var.prefix}-logs"
  policy = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
          "Resource": "*"
        }
      ]
    }
  JSON
}

resource "aws_iam_user_policy_attachment" "alice_s3" {
  user       = aws_iam_user.alice.name
  policy_arn = aws_iam_policy.s3_read.arn
}

resource "aws_iam_group_policy_attachment" "developers_logs" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.logs.arn
}

resource "aws_iam_group_policy_attachment" "readers_aws_managed" {
  group      = aws_iam_group.readers.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy_attachment" "app_s3" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.s3_read.arn
}

# aws_iam_policy_attachment owns every attachment of its policy (exclusive), so it gets a
# policy nothing else attaches; otherwise plan shows the others as drift, on AWS too.
resource "aws_iam_policy" "audit" {
  name = "${var.prefix}-audit"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["cloudtrail:LookupEvents", "cloudtrail:GetTrail"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_policy_attachment" "audit" {
  name       = "${var.prefix}-audit-everywhere"
  policy_arn = aws_iam_policy.audit.arn
  users      = [aws_iam_user.bob.name]
  groups     = [aws_iam_group.readers.name]
  roles      = [aws_iam_role.admin.name]
}

# --- inline policies -------------------------------------------------------------------

resource "aws_iam_user_policy" "alice_inline" {
  name = "alice-sqs"
  user = aws_iam_user.alice.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = "*"
      },
      {
        # The admin role trusts the account: its users assume it with this permission.
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = aws_iam_role.admin.arn
      },
    ]
  })
}

resource "aws_iam_group_policy" "readers_inline" {
  name  = "readers-dynamodb"
  group = aws_iam_group.readers.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:Query"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy" "app_inline" {
  name = "app-sns"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = "*"
    }]
  })
}

# --- access keys -----------------------------------------------------------------------

resource "aws_iam_access_key" "alice" {
  user = aws_iam_user.alice.name
}

resource "aws_iam_access_key" "bob_inactive" {
  user   = aws_iam_user.bob.name
  status = "Inactive"
}

# --- outputs the test reads back -------------------------------------------------------

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}

output "user_arns" {
  value = [aws_iam_user.alice.arn, aws_iam_user.bob.arn]
}

output "user_unique_ids" {
  value = [aws_iam_user.alice.unique_id, aws_iam_user.bob.unique_id]
}

output "group_arns" {
  value = [aws_iam_group.developers.arn, aws_iam_group.readers.arn]
}

output "role_arns" {
  value = [aws_iam_role.app.arn, aws_iam_role.admin.arn]
}

output "role_unique_ids" {
  value = [aws_iam_role.app.unique_id, aws_iam_role.admin.unique_id]
}

output "policy_arns" {
  value = [aws_iam_policy.s3_read.arn, aws_iam_policy.logs.arn, aws_iam_policy.audit.arn]
}

output "policy_ids" {
  value = [aws_iam_policy.s3_read.policy_id, aws_iam_policy.logs.policy_id, aws_iam_policy.audit.policy_id]
}

output "instance_profile_arn" {
  value = aws_iam_instance_profile.app.arn
}

output "alice_access_key_id" {
  value = aws_iam_access_key.alice.id
}

output "alice_secret_access_key" {
  value     = aws_iam_access_key.alice.secret
  sensitive = true
}

output "bob_access_key_id" {
  value = aws_iam_access_key.bob_inactive.id
}
