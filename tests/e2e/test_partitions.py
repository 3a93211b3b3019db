"""A server of the China or GovCloud partition (`castellan serve --partition aws-cn|aws-us-gov`):
its ARNs, the ARNs it accepts, the regions requests may be signed for.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html ("Identify AWS resources with
Amazon Resource Names (ARNs)"): "partition — … aws - AWS Regions, aws-cn - China Regions,
aws-us-gov - AWS GovCloud (US) Regions"; https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html:
"Each AWS account is scoped to one partition."
https://docs.amazonaws.cn/en_us/general/latest/gr/ARNs.html ("ARNs for Amazon Web Services in China":
"arn:aws-cn", regions cn-north-1 and cn-northwest-1)
https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html ("In the AWS GovCloud
(US) Regions, ARNs begin with arn:aws-us-gov", regions us-gov-west-1 and us-gov-east-1)
"""

import json

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, dumps, unique

# (partition, the region clients use, the partition's other region, a region of another partition)
PARTITIONS = [
    ("aws-cn", "cn-north-1", "cn-northwest-1", "us-east-1"),
    ("aws-us-gov", "us-gov-west-1", "us-gov-east-1", "us-east-1"),
]


@pytest.fixture(scope="module", params=PARTITIONS, ids=[p[0] for p in PARTITIONS])
def part(request, server_factory):
    partition, region, other_region, foreign_region = request.param
    srv = server_factory(env_extra={"CASTELLAN_PARTITION": partition})
    return {
        "server": srv,
        "partition": partition,
        "region": region,
        "other_region": other_region,
        "foreign_region": foreign_region,
        "iam": srv.iam(region=region),
        "sts": srv.sts(region=region),
    }


def _trust_account(partition: str) -> str:
    return dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}],
        }
    )


def _user_key(part, statements):
    iam = part["iam"]
    name = unique("pt-user")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=dumps({"Version": "2012-10-17", "Statement": statements}))
    return name, iam.create_access_key(UserName=name)["AccessKey"]


def _user_client(part, statements):
    name, key = _user_key(part, statements)
    return name, part["server"].iam(region=part["region"], access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def test_entity_arns_are_of_the_partition(part):
    """Users, groups, roles, policies, instance profiles, MFA devices and providers carry the
    partition (IAM User Guide, "IAM identifiers": arn:aws:iam::account:user/… with the
    partition field of the ARN syntax above)."""
    iam, p = part["iam"], part["partition"]
    prefix = f"arn:{p}:iam::{ACCOUNT_ID}:"
    user = unique("pt-u")
    assert iam.create_user(UserName=user, Path="/team/")["User"]["Arn"] == f"{prefix}user/team/{user}"
    group = unique("pt-g")
    assert iam.create_group(GroupName=group)["Group"]["Arn"] == f"{prefix}group/{group}"
    role = unique("pt-r")
    assert iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust_account(p))["Role"]["Arn"] == f"{prefix}role/{role}"
    policy = unique("pt-p")
    doc = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:{p}:s3:::b/*"}]})
    assert iam.create_policy(PolicyName=policy, PolicyDocument=doc)["Policy"]["Arn"] == f"{prefix}policy/{policy}"
    profile = unique("pt-ip")
    assert iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"] == f"{prefix}instance-profile/{profile}"
    mfa = unique("pt-mfa")
    assert iam.create_virtual_mfa_device(VirtualMFADeviceName=mfa)["VirtualMFADevice"]["SerialNumber"] == f"{prefix}mfa/{mfa}"
    oidc = iam.create_open_id_connect_provider(Url="https://oidc.example.com/pt", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    assert oidc["OpenIDConnectProviderArn"] == f"{prefix}oidc-provider/oidc.example.com/pt"
    # GetUser without a name describes the caller: the root user of the partition.
    assert iam.get_user()["User"]["Arn"] == f"{prefix}root"


def test_caller_identity_and_assumed_role_arns(part):
    """GetCallerIdentity and AssumeRole answer ARNs of the partition (STS API Reference,
    AssumeRole: AssumedRoleUser Arn `arn:aws:sts::123456789012:assumed-role/demo/TestAR`,
    with the partition field)."""
    iam, p = part["iam"], part["partition"]
    assert part["sts"].get_caller_identity()["Arn"] == f"arn:{p}:iam::{ACCOUNT_ID}:root"
    role = unique("pt-assume")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust_account(p))["Role"]["Arn"]
    user, key = _user_key(part, [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}])
    sts = part["server"].sts(region=part["region"], access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:{p}:iam::{ACCOUNT_ID}:user/{user}"
    out = sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:{p}:sts::{ACCOUNT_ID}:assumed-role/{role}/s1"
    c = out["Credentials"]
    session = part["server"].sts(region=part["region"], access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["SessionToken"])
    assert session.get_caller_identity()["Arn"] == f"arn:{p}:sts::{ACCOUNT_ID}:assumed-role/{role}/s1"
    fed = sts.get_federation_token(Name="fed", Policy=dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    assert fed["FederatedUser"]["Arn"] == f"arn:{p}:sts::{ACCOUNT_ID}:federated-user/fed"


def test_role_arn_of_another_partition_is_not_assumed(part):
    """A role ARN of another partition names no role here (each account is scoped to one
    partition; IAM roles delegate access within a single partition — AWS re:Post,
    "Trust relationship between a role in global AWS and users/roles in China AWS region").
    Castellan answers as for a role that does not exist."""
    iam, p = part["iam"], part["partition"]
    role = unique("pt-foreign")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust_account(p))
    _, key = _user_key(part, [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])
    sts = part["server"].sts(region=part["region"], access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    # The same role by its own ARN can be assumed.
    sts.assume_role(RoleArn=f"arn:{p}:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="s1")
    with pytest.raises(ClientError) as err:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="s1")
    assert_error(err, "AccessDenied", 403)


def test_trust_policy_naming_a_principal_of_another_partition_is_refused(part):
    """A principal of another partition does not exist here: "Invalid principal in policy"
    (IAM User Guide, "AWS JSON policy elements: Principal"; decided for foreign partitions)."""
    iam = part["iam"]
    trust = _trust_account("aws")
    with pytest.raises(ClientError) as err:
        iam.create_role(RoleName=unique("pt-bad-trust"), AssumeRolePolicyDocument=trust)
    assert_error(err, "MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT_ID}:root"')


def test_aws_managed_policies_live_in_the_partition(part):
    """AWS managed policies are `arn:aws-cn:iam::aws:policy/…` in China (and aws-us-gov in
    GovCloud: aws/aws-elastic-beanstalk-cli#562, `arn:aws-us-gov:iam::aws:policy/AWSElasticBeanstalkWebTier`);
    attaching one by its ARN of the partition works, and its document names the partition's ARNs."""
    iam, p = part["iam"], part["partition"]
    arn = f"arn:{p}:iam::aws:policy/ReadOnlyAccess"
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Arn"] == arn
    user = unique("pt-managed")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": arn}]
    listed = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert arn in [x["Arn"] for x in listed]
    # A document naming ARNs names them in the partition (decided: AWS's copies in the other
    # partitions are not in the data file), and is enforced so: IAMUserSSHKeys lets a user
    # manage its own SSH keys, `arn:PARTITION:iam::*:user/${aws:username}`.
    ssh = f"arn:{p}:iam::aws:policy/IAMUserSSHKeys"
    doc = iam.get_policy_version(PolicyArn=ssh, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Resource"] == f"arn:{p}:iam::*:user/${{aws:username}}"
    assert "arn:aws:" not in json.dumps(doc)
    holder, key = _user_key(part, [])
    iam.attach_user_policy(UserName=holder, PolicyArn=ssh)
    client = part["server"].iam(region=part["region"], access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert client.list_ssh_public_keys(UserName=holder)["SSHPublicKeys"] == []
    with pytest.raises(ClientError) as err:
        client.list_ssh_public_keys(UserName=user)
    # IAM names an existing user "user NAME" (castellan_e2e.iam_resource_label).
    assert_error(err, "AccessDenied", 403, contains=f"on resource: user {user}")


def test_managed_policy_arn_of_another_partition_is_refused(part):
    """AttachRolePolicy of `arn:aws:iam::aws:policy/AmazonS3FullAccess` in cn-northwest-1 is
    answered 400 ValidationError "Invalid ARN partition" (pulumi/pulumi-aws-apigateway#347,
    quoting AWS's answer; the same in GovCloud, aws/aws-elastic-beanstalk-cli#562)."""
    iam = part["iam"]
    role = unique("pt-attach")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust_account(part["partition"]))
    with pytest.raises(ClientError) as err:
        iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert_error(err, "ValidationError", 400, "Invalid ARN partition")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_policy_resource_of_another_partition_is_refused(part):
    """A policy naming a Resource of another partition is refused: MalformedPolicyDocument
    `Partition "aws" is not valid for resource "arn:aws:logs:*:*:*".` (PutRolePolicy in
    cn-north-1, aws/chalice#777; CreatePolicy in China, kubernetes-sigs/aws-load-balancer-controller#1557;
    PutRolePolicy in us-gov-east-1, terraform-aws-modules/terraform-aws-atlantis#83)."""
    iam, p = part["iam"], part["partition"]
    role = unique("pt-inline")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust_account(p))
    bad = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:*"}]})
    with pytest.raises(ClientError) as err:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=bad)
    assert_error(err, "MalformedPolicyDocument", 400, 'Partition "aws" is not valid for resource "arn:aws:logs:*:*:*".')
    with pytest.raises(ClientError) as err:
        iam.create_policy(PolicyName=unique("pt-bad"), PolicyDocument=bad)
    assert_error(err, "MalformedPolicyDocument", 400, 'Partition "aws" is not valid for resource "arn:aws:logs:*:*:*".')
    # The partition's own ARNs and a wildcard partition are accepted.
    for resource in (f"arn:{p}:logs:*:*:*", "arn:*:logs:*:*:*"):
        good = dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": resource}]})
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=good)


def test_resource_arns_of_the_partition_are_enforced(part):
    """A policy allowing `arn:PARTITION:iam::ACCOUNT:user/pt-*` lets its holder read those users
    and no others (policy evaluation compares every ARN field, the partition too: IAM User
    Guide, "IAM JSON policy elements: Resource")."""
    p = part["partition"]
    allowed = unique("pt-ok")
    other = unique("other")
    part["iam"].create_user(UserName=allowed)
    part["iam"].create_user(UserName=other)
    _, client = _user_client(part, [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:{p}:iam::{ACCOUNT_ID}:user/pt-ok-*"}])
    assert client.get_user(UserName=allowed)["User"]["Arn"] == f"arn:{p}:iam::{ACCOUNT_ID}:user/{allowed}"
    with pytest.raises(ClientError) as err:
        client.get_user(UserName=other)
    assert_error(
        err,
        "AccessDenied",
        403,
        contains=[f"on resource: user {other}", f"arn:{p}:iam::{ACCOUNT_ID}:user/pt-user-"],
    )
    # A wildcard partition matches too.
    _, client = _user_client(part, [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:*:iam::{ACCOUNT_ID}:user/*"}])
    assert client.get_user(UserName=other)["User"]["UserName"] == other


def test_requests_are_signed_for_the_partitions_regions(part):
    """Requests may be signed for any region of the partition (botocore endpoints.json lists
    cn-north-1 and cn-northwest-1 for aws-cn, us-gov-west-1 and us-gov-east-1 for aws-us-gov).
    One signed for a region of another partition is refused as AWS refuses a credential scope
    its endpoint does not serve: 403 SignatureDoesNotMatch "Credential should be scoped to a
    valid region, not 'us-east-1'. " (the message quoted in aws/aws-sdk-go#156)."""
    srv = part["server"]
    assert "Users" in srv.iam(region=part["other_region"]).list_users(MaxItems=1)
    assert srv.sts(region=part["other_region"]).get_caller_identity()["Account"] == ACCOUNT_ID
    foreign = part["foreign_region"]
    for client in (srv.iam(region=foreign), srv.sts(region=foreign)):
        with pytest.raises(ClientError) as err:
            client.list_users() if client.meta.service_model.service_name == "iam" else client.get_caller_identity()
        assert_error(err, "SignatureDoesNotMatch", 403, f"Credential should be scoped to a valid region, not '{foreign}'. ")


def test_unknown_partition_refuses_to_start(server_factory):
    """`--partition` takes aws, aws-cn or aws-us-gov; anything else stops the server before it
    listens, saying so."""
    import subprocess

    from castellan_e2e import castellan_bin

    out = subprocess.run(
        [str(castellan_bin()), "serve", "--in-memory", "--listen", "127.0.0.1:0", "--partition", "aws-mars"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0
    assert "unknown partition 'aws-mars': expected aws, aws-cn or aws-us-gov" in out.stderr


def test_service_linked_roles_and_the_credential_report_are_of_the_partition(part):
    """A service-linked role's ARN and its AWS managed policy are the partition's (IAM User
    Guide, "Using service-linked roles": arn:aws:iam::…:role/aws-service-role/…, with the
    partition field); the credential report's `arn` column too (IAM User Guide, "Getting
    credential reports": arn — "The Amazon Resource Name (ARN) of the user")."""
    import csv
    import io
    import time

    iam, p = part["iam"], part["partition"]
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=unique("pt")[3:])["Role"]
    assert role["Arn"].startswith(f"arn:{p}:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_")
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [f"arn:{p}:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"]
    for _ in range(120):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(0.5)
    report = {row["user"]: row for row in csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode()))}
    assert report["<root_account>"]["arn"] == f"arn:{p}:iam::{ACCOUNT_ID}:root"
    assert all(row["arn"].startswith(f"arn:{p}:iam::{ACCOUNT_ID}:") for row in report.values())


def test_the_audit_trail_names_the_partitions_arns_and_region(part):
    """CloudTrail's userIdentity.arn is the caller's ARN and awsRegion the region of IAM's
    endpoint (CloudTrail User Guide, "CloudTrail userIdentity element"; IAM's endpoint is
    iam.cn-north-1.amazonaws.com.cn in aws-cn, iam.us-gov.amazonaws.com in us-gov-west-1:
    botocore endpoints.json)."""
    import time

    iam, p, srv = part["iam"], part["partition"], part["server"]
    name = unique("pt-audit")
    iam.create_user(UserName=name)
    ct = srv.client("cloudtrail", region=part["region"])
    deadline = time.monotonic() + 30
    while True:
        events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])["Events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    event = json.loads(events[0]["CloudTrailEvent"])
    assert event["userIdentity"]["arn"] == f"arn:{p}:iam::{ACCOUNT_ID}:root"
    assert event["awsRegion"] == {"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[p]


def test_a_data_directory_keeps_its_partition(server_factory, tmp_path):
    """Accounts are scoped to one partition (AWS General Reference, "Amazon Resource Names
    (ARNs)"): a data directory created by an aws-cn server is refused by a server started for
    another partition (its stored ARNs would name nothing there, and its Deny statements
    deny nothing), and opens again for aws-cn. `castellan account create` adds an account of
    the directory's partition."""
    import subprocess

    from castellan_e2e import castellan_bin

    data = tmp_path / "cn-data"
    srv = server_factory(data_dir=data, env_extra={"CASTELLAN_PARTITION": "aws-cn"})
    srv.iam(region="cn-north-1").create_user(UserName="kept")
    srv.stop()
    out = subprocess.run(
        [str(castellan_bin()), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0
    assert "the stored accounts were created in partition aws-cn; start the server with --partition aws-cn" in out.stderr
    created = subprocess.run([str(castellan_bin()), "account", "create", "--data-dir", str(data), "--id", "111122223333"], capture_output=True, text=True, timeout=30)
    assert created.returncode == 0, created.stderr
    assert "region = cn-north-1" in (data / "root-credentials").read_text()
    again = server_factory(data_dir=data, env_extra={"CASTELLAN_PARTITION": "aws-cn"})
    assert again.iam(region="cn-north-1").get_user(UserName="kept")["User"]["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:user/kept"


def test_requested_region_of_iam_is_its_endpoints(part):
    """IAM has one endpoint per partition, so an IAM call's `aws:RequestedRegion` is that
    endpoint's region whatever region it was signed for (IAM User Guide, "AWS global condition
    context keys", aws:RequestedRegion; the endpoint's credential scope is cn-north-1 in aws-cn
    and us-gov-west-1 in aws-us-gov, botocore endpoints.json). STS's is the region signed for."""
    iam_region = {"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[part["partition"]]
    statements = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": iam_region}}},
        {"Effect": "Deny", "Action": "sts:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": part["other_region"]}}},
    ]
    _, key = _user_key(part, statements)
    srv, creds = part["server"], {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    for region in (part["region"], part["other_region"]):
        assert "Users" in srv.iam(region=region, **creds).list_users(MaxItems=1)
    # GetFederationToken needs sts:GetFederationToken (GetCallerIdentity needs no permission).
    assert srv.sts(region=part["region"], **creds).get_federation_token(Name="fed")["FederatedUser"]["Arn"].startswith(f"arn:{part['partition']}:sts::")
    with pytest.raises(ClientError) as err:
        srv.sts(region=part["other_region"], **creds).get_federation_token(Name="fed")
    assert_error(err, "AccessDenied", 403)
