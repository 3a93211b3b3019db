# Service-linked roles with Terraform (aws_iam_service_linked_role): applied, re-planned and
# destroyed on a Castellan by test_service_linked_role.py. The destroy waits for the deletion
# task, as the provider polls GetServiceLinkedRoleDeletionStatus.

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

resource "aws_iam_service_linked_role" "elb" {
  aws_service_name = "elasticloadbalancing.amazonaws.com"
  description      = "managed by terraform"
}

resource "aws_iam_service_linked_role" "autoscaling" {
  aws_service_name = "autoscaling.amazonaws.com"
  custom_suffix    = var.prefix
}

output "elb_arn" {
  value = aws_iam_service_linked_role.elb.arn
}

output "autoscaling_name" {
  value = aws_iam_service_linked_role.autoscaling.name
}
