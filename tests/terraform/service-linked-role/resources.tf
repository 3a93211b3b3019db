# Service-linked roles with Terraform (aws_iam_service_linked_role), applied, re-planned and
# destroyed on a Castellan by test_service_linked_role.py, which puts these resources after
# main.tf's provider configuration. The destroy waits for the deletion task, as the provider
# polls GetServiceLinkedRoleDeletionStatus.

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
