"""Terraform's aws_iam_service_linked_role against a real `castellan serve`: created with the
name, path and description AWS gives (a custom suffix where the service allows one), no
changes on a second plan, and destroyed through DeleteServiceLinkedRole and the deletion-task
status the provider polls. Runs like test_terraform.py (same mirror, same skips).

    python3 -m pytest -q tests/terraform/test_service_linked_role.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from test_terraform import HERE, PREFIX, Terraform, pytestmark, server  # noqa: F401  (marks and fixture reused)

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def tf(server):  # noqa: F811
    workdir = Path(tempfile.mkdtemp(prefix="castellan-terraform-slr-"))
    try:
        tf = Terraform(workdir, server.endpoint)
        shutil.copy(HERE / "service-linked-role" / "main.tf", workdir / "main.tf")
        tf.run("init", "-input=false", "-no-color")
        yield tf
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_apply_plan_destroy_service_linked_roles(tf, server):  # noqa: F811
    iam = server.iam()
    tf.run("apply", "-auto-approve", "-input=false", "-no-color")
    out = tf.outputs()
    elb = "AWSServiceRoleForElasticLoadBalancing"
    assert out["elb_arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/{elb}"
    assert out["autoscaling_name"] == f"AWSServiceRoleForAutoScaling_{PREFIX}"
    assert iam.get_role(RoleName=elb)["Role"]["Description"] == "managed by terraform"
    plan = tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color", check=False)
    assert plan.returncode == 0, f"plan after apply shows changes:\n{plan.stdout[-4000:]}\n{plan.stderr[-4000:]}"
    tf.run("destroy", "-auto-approve", "-input=false", "-no-color")
    for name in (elb, f"AWSServiceRoleForAutoScaling_{PREFIX}"):
        with pytest.raises(ClientError) as e:
            iam.get_role(RoleName=name)
        assert e.value.response["Error"]["Code"] == "NoSuchEntity"
