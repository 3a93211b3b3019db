"""Marker / MaxItems / IsTruncated on every List operation, in a stable order, and boto3
paginators on top of them.

https://docs.aws.amazon.com/IAM/latest/APIReference/Welcome.html (pagination: "MaxItems ...
If additional items exist beyond the maximum you specify, the IsTruncated response element is
true"; "Marker: Use this parameter only when paginating results and only after you receive a
response indicating that the results are truncated. Set it to the value of the Marker element
in the response that you received to indicate where the next call should start.")
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/paginators.html
"""

import pytest

from castellan_e2e import EC2_TRUST_POLICY, collect_pages, dumps, policy_doc

TRUST = dumps(EC2_TRUST_POLICY)
PAGE = 2

AWS_POLICIES = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
    "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
]


@pytest.fixture(scope="module")
def acct(server_factory):
    """One empty account, populated once with a known number of everything."""
    srv = server_factory()
    iam = srv.iam()
    for i in range(7):
        iam.create_user(UserName=f"user{i}", Path="/pg/" if i % 2 else "/")
        iam.create_group(GroupName=f"group{i}")
        iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST)
        iam.create_instance_profile(InstanceProfileName=f"profile{i}")
        iam.create_policy(PolicyName=f"policy{i}", PolicyDocument=dumps(policy_doc()))
    # A user, group and role with lots hanging off them.
    for i in range(5):
        iam.add_user_to_group(GroupName=f"group{i}", UserName="user0")
        iam.add_user_to_group(GroupName="group6", UserName=f"user{i + 1}")
        iam.attach_user_policy(UserName="user0", PolicyArn=AWS_POLICIES[i])
        iam.attach_group_policy(GroupName="group0", PolicyArn=AWS_POLICIES[i])
        iam.attach_role_policy(RoleName="role0", PolicyArn=AWS_POLICIES[i])
        iam.put_user_policy(UserName="user0", PolicyName=f"inline{i}", PolicyDocument=dumps(policy_doc()))
        iam.put_group_policy(GroupName="group0", PolicyName=f"inline{i}", PolicyDocument=dumps(policy_doc()))
        iam.put_role_policy(RoleName="role0", PolicyName=f"inline{i}", PolicyDocument=dumps(policy_doc()))
        iam.add_role_to_instance_profile(InstanceProfileName=f"profile{i}", RoleName="role0")
        iam.attach_user_policy(UserName=f"user{i + 1}", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    tags = [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(5)]
    iam.tag_user(UserName="user0", Tags=tags)
    iam.tag_role(RoleName="role0", Tags=tags)
    iam.tag_policy(PolicyArn=iam.list_policies(Scope="Local")["Policies"][0]["Arn"], Tags=tags)
    iam.tag_instance_profile(InstanceProfileName="profile0", Tags=tags)
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "policy0")
    for i in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=dumps(policy_doc(f"s3:Get{i}")))
    iam.create_access_key(UserName="user0")
    iam.create_access_key(UserName="user0")
    yield srv
    srv.stop()


def policy_arn(iam, policy_name):
    return next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == policy_name)


def tagged_policy_arn(iam):
    for p in iam.list_policies(Scope="Local")["Policies"]:
        if iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]:
            return p["Arn"]
    raise AssertionError("no tagged policy")


# (operation, result key, kwargs, expected count, identity of an item)
CASES = [
    ("list_users", "Users", {}, 7, lambda x: x["UserName"]),
    ("list_users", "Users", {"PathPrefix": "/pg/"}, 3, lambda x: x["UserName"]),
    ("list_groups", "Groups", {}, 7, lambda x: x["GroupName"]),
    ("list_roles", "Roles", {}, 7, lambda x: x["RoleName"]),
    ("list_instance_profiles", "InstanceProfiles", {}, 7, lambda x: x["InstanceProfileName"]),
    ("list_policies", "Policies", {"Scope": "Local"}, 7, lambda x: x["Arn"]),
    ("list_policies", "Policies", {"Scope": "AWS", "OnlyAttached": True}, 5, lambda x: x["Arn"]),
    ("list_groups_for_user", "Groups", {"UserName": "user0"}, 5, lambda x: x["GroupName"]),
    ("get_group", "Users", {"GroupName": "group6"}, 5, lambda x: x["UserName"]),
    ("list_attached_user_policies", "AttachedPolicies", {"UserName": "user0"}, 5, lambda x: x["PolicyArn"]),
    ("list_attached_group_policies", "AttachedPolicies", {"GroupName": "group0"}, 5, lambda x: x["PolicyArn"]),
    ("list_attached_role_policies", "AttachedPolicies", {"RoleName": "role0"}, 5, lambda x: x["PolicyArn"]),
    ("list_user_policies", "PolicyNames", {"UserName": "user0"}, 5, lambda x: x),
    ("list_group_policies", "PolicyNames", {"GroupName": "group0"}, 5, lambda x: x),
    ("list_role_policies", "PolicyNames", {"RoleName": "role0"}, 5, lambda x: x),
    ("list_instance_profiles_for_role", "InstanceProfiles", {"RoleName": "role0"}, 5, lambda x: x["InstanceProfileName"]),
    ("list_user_tags", "Tags", {"UserName": "user0"}, 5, lambda x: x["Key"]),
    ("list_role_tags", "Tags", {"RoleName": "role0"}, 5, lambda x: x["Key"]),
    ("list_instance_profile_tags", "Tags", {"InstanceProfileName": "profile0"}, 5, lambda x: x["Key"]),
    ("list_access_keys", "AccessKeyMetadata", {"UserName": "user0"}, 2, lambda x: x["AccessKeyId"]),
]


@pytest.mark.parametrize("op, key, kwargs, count, ident", CASES, ids=[f"{c[0]}{'-' + '-'.join(map(str, c[2].values())) if c[2] else ''}" for c in CASES])
def test_marker_pagination(acct, op, key, kwargs, count, ident):
    iam = acct.iam()
    call = getattr(iam, op)
    page = 1 if count <= 2 else PAGE
    items, pages = collect_pages(call, key, page, **kwargs)
    ids = [ident(x) for x in items]
    assert len(ids) == len(set(ids)) == count, ids
    assert len(pages) >= 2 and pages[0]["IsTruncated"] is True

    # Stable order: one big page lists them in the same order, and a second walk agrees.
    whole = call(**kwargs, MaxItems=1000)
    assert whole["IsTruncated"] is False
    assert [ident(x) for x in whole[key]] == ids
    again, _ = collect_pages(call, key, page, **kwargs)
    assert [ident(x) for x in again] == ids

    # boto3's paginator (MaxItems/Marker under the hood) gets the same.
    if iam.can_paginate(op):
        full = iam.get_paginator(op).paginate(**kwargs, PaginationConfig={"PageSize": page}).build_full_result()
        assert [ident(x) for x in full[key]] == ids


def test_policy_tags_pagination(acct):
    iam = acct.iam()
    arn = tagged_policy_arn(iam)
    items, pages = collect_pages(iam.list_policy_tags, "Tags", PAGE, PolicyArn=arn)
    assert sorted(t["Key"] for t in items) == [f"k{i}" for i in range(5)]
    assert len(pages) == 3


def test_policy_versions_pagination(acct):
    iam = acct.iam()
    arn = policy_arn(iam, "policy0")
    items, pages = collect_pages(iam.list_policy_versions, "Versions", PAGE, PolicyArn=arn)
    assert sorted(v["VersionId"] for v in items) == ["v1", "v2", "v3", "v4", "v5"]
    assert len(pages) == 3
    full = iam.get_paginator("list_policy_versions").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 2}).build_full_result()
    assert [v["VersionId"] for v in full["Versions"]] == [v["VersionId"] for v in items]


def test_entities_for_policy_pagination(acct):
    """ListEntitiesForPolicy pages over users, groups and roles together."""
    iam = acct.iam()
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"  # user0, group0, role0
    seen = []
    marker = None
    for _ in range(10):
        kw = {"PolicyArn": arn, "MaxItems": 1}
        if marker:
            kw["Marker"] = marker
        page = iam.list_entities_for_policy(**kw)
        got = page["PolicyUsers"] + page["PolicyGroups"] + page["PolicyRoles"]
        assert len(got) <= 1
        seen.extend(got)
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    names = sorted(x.get("UserName") or x.get("GroupName") or x.get("RoleName") for x in seen)
    assert names == ["group0", "role0", "user0"]

    s3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"  # user0..user5
    full = iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=s3, PaginationConfig={"PageSize": 2}).build_full_result()
    assert sorted(u["UserName"] for u in full["PolicyUsers"]) == [f"user{i}" for i in range(6)]


def test_account_authorization_details_pagination(acct):
    iam = acct.iam()
    seen_users, pages = [], 0
    marker = None
    for _ in range(100):
        kw = {"MaxItems": 3, "Filter": ["User", "Group", "Role", "LocalManagedPolicy"]}
        if marker:
            kw["Marker"] = marker
        page = iam.get_account_authorization_details(**kw)
        pages += 1
        n = sum(len(page[k]) for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"))
        assert n <= 3
        seen_users.extend(u["UserName"] for u in page["UserDetailList"])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert sorted(seen_users) == [f"user{i}" for i in range(7)]
    assert pages >= 10  # 7 users + 7 groups + 7 roles + 7 policies, 3 at a time


def test_aws_policies_pagination_is_stable(acct):
    iam = acct.iam()
    a, _ = collect_pages(iam.list_policies, "Policies", 250, Scope="AWS")
    b, _ = collect_pages(iam.list_policies, "Policies", 400, Scope="AWS")
    assert [p["Arn"] for p in a] == [p["Arn"] for p in b]
    assert len(a) == 1452


def test_all_scope_counts_both(acct):
    iam = acct.iam()
    full = iam.get_paginator("list_policies").paginate(Scope="All", PaginationConfig={"PageSize": 1000}).build_full_result()
    assert len(full["Policies"]) == 1452 + 7


def test_list_account_aliases_pagination(acct):
    iam = acct.iam()
    resp = iam.list_account_aliases(MaxItems=1)
    assert resp["AccountAliases"] == []
    assert resp["IsTruncated"] is False
