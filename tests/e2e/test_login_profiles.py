"""Login profiles (console passwords), ChangePassword, and the account password policy."""

import pytest
from botocore.exceptions import ClientError

from castellan_e2e import ACCOUNT_ID, assert_error, assert_recent, dumps, policy_doc

GOOD_PASSWORD = "Corr3ct-Horse-Battery-Staple!"


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetLoginProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteLoginProfile.html
def test_login_profile_lifecycle(iam, name):
    u = name("console")
    iam.create_user(UserName=u)
    lp = iam.create_login_profile(UserName=u, Password=GOOD_PASSWORD, PasswordResetRequired=True)["LoginProfile"]
    assert lp["UserName"] == u
    assert lp["PasswordResetRequired"] is True
    assert_recent(lp["CreateDate"])
    assert "Password" not in lp

    got = iam.get_login_profile(UserName=u)["LoginProfile"]
    assert got["UserName"] == u
    assert got["PasswordResetRequired"] is True
    assert got["CreateDate"] == lp["CreateDate"]

    iam.update_login_profile(UserName=u, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=u, Password="An0ther-Good-Passw0rd!", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is True

    iam.delete_login_profile(UserName=u)
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName=u)
    # Real AWS text (quoted in ansible/ansible#43197).
    assert_error(e, "NoSuchEntity", 404, f"Login Profile for User {u} cannot be found.")


def test_login_profile_default_reset_not_required(iam, name):
    u = name("console")
    iam.create_user(UserName=u)
    lp = iam.create_login_profile(UserName=u, Password=GOOD_PASSWORD)["LoginProfile"]
    assert lp["PasswordResetRequired"] is False


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html (EntityAlreadyExists)
def test_duplicate_login_profile(iam, name):
    u = name("console")
    iam.create_user(UserName=u)
    iam.create_login_profile(UserName=u, Password=GOOD_PASSWORD)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=u, Password=GOOD_PASSWORD)
    # AWS: "Login Profile for user NAME already exists." (not pinned)
    assert_error(e, "EntityAlreadyExists", 409, contains=u)


def test_login_profile_missing(iam, name):
    u = name("nolp")
    iam.create_user(UserName=u)
    for call in (
        lambda: iam.get_login_profile(UserName=u),
        lambda: iam.update_login_profile(UserName=u, PasswordResetRequired=True),
        lambda: iam.delete_login_profile(UserName=u),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert_error(e, "NoSuchEntity", 404, f"Login Profile for User {u} cannot be found.")
    ghost = name("ghost")
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=ghost, Password=GOOD_PASSWORD)
    assert_error(e, "NoSuchEntity", 404, f"The user with name {ghost} cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html
# "Changes the password of the IAM user who is calling this operation. This operation can be
# performed using the AWS CLI, the AWS API, or the My Security Credentials page in the AWS
# Management Console. The AWS account root user password is not affected by this operation."
# The user needs iam:ChangePassword on itself (or the account's AllowUsersToChangePassword).
@pytest.mark.needs_sigv4
def test_change_password_as_the_user(server, iam, name):
    u = name("changer")
    iam.create_user(UserName=u)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{u}"
    iam.put_user_policy(UserName=u, PolicyName="self", PolicyDocument=dumps(policy_doc("iam:ChangePassword", arn)))
    iam.create_login_profile(UserName=u, Password=GOOD_PASSWORD, PasswordResetRequired=True)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    as_user = server.iam(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    as_user.change_password(OldPassword=GOOD_PASSWORD, NewPassword="Brand-New-Passw0rd!!")
    # Changing the password clears the reset requirement.
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is False
    # The old password no longer works.
    with pytest.raises(ClientError):
        as_user.change_password(OldPassword=GOOD_PASSWORD, NewPassword="Yet-Another-Passw0rd!")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html
# ChangePassword is for IAM users; the root user changes its password elsewhere.
def test_change_password_as_root_is_rejected(iam):
    with pytest.raises(ClientError) as e:
        iam.change_password(OldPassword="whatever-1A!", NewPassword="whatever-2B!")
    assert 400 <= e.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500


# --- Account password policy (needs an empty account: the policy is account-wide) ---------

# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountPasswordPolicy.html
# "If no password policy is defined for the account, the command returns a NoSuchEntity error."
@pytest.mark.fresh
def test_password_policy_lifecycle(fresh_server):
    iam = fresh_server.iam()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert_error(e, "NoSuchEntity", 404, f"The Password Policy with domain name {ACCOUNT_ID} cannot be found.")

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
    iam.update_account_password_policy(
        MinimumPasswordLength=12,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=5,
        HardExpiry=False,
    )
    pp = iam.get_account_password_policy()["PasswordPolicy"]
    assert pp["MinimumPasswordLength"] == 12
    assert pp["RequireSymbols"] is True
    assert pp["RequireNumbers"] is True
    assert pp["RequireUppercaseCharacters"] is True
    assert pp["RequireLowercaseCharacters"] is True
    assert pp["AllowUsersToChangePassword"] is True
    assert pp["ExpirePasswords"] is True
    assert pp["MaxPasswordAge"] == 90
    assert pp["PasswordReusePrevention"] == 5
    assert pp.get("HardExpiry", False) is False

    # "If you do not specify a value for a parameter, then that parameter reverts to its default
    # value" -- defaults: length 6 ... here 8 given; requirements off; passwords never expire.
    iam.update_account_password_policy(MinimumPasswordLength=8)
    pp = iam.get_account_password_policy()["PasswordPolicy"]
    assert pp["MinimumPasswordLength"] == 8
    assert pp["RequireSymbols"] is False
    assert pp["RequireNumbers"] is False
    assert pp["RequireUppercaseCharacters"] is False
    assert pp["RequireLowercaseCharacters"] is False
    assert pp["AllowUsersToChangePassword"] is False
    assert pp["ExpirePasswords"] is False
    assert "MaxPasswordAge" not in pp or pp["MaxPasswordAge"] == 0

    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccountPasswordPolicy.html
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert_error(e, "NoSuchEntity", 404, f"The Password Policy with domain name {ACCOUNT_ID} cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_account_password_policy()
    # Recorded from AWS: LocalStack's tests/aws/services/iam/test_iam_account_password_policy.snapshot.json,
    # "delete-not-found".
    assert_error(e, "NoSuchEntity", 404, "The account policy with name PasswordPolicy cannot be found.")


# https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
# MinimumPasswordLength: "Valid Range: Minimum value of 6. Maximum value of 128."
@pytest.mark.fresh
def test_password_policy_validation(fresh_server):
    iam = fresh_server.iam(validate=False)
    with pytest.raises(ClientError) as e:
        iam.update_account_password_policy(MinimumPasswordLength=5)
    # AWS: "1 validation error detected: Value at 'minimumPasswordLength' failed to satisfy
    # constraint: Member must have value greater than or equal to 6"
    assert_error(e, "ValidationError", 400, contains="minimumPasswordLength")
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert_error(e, "NoSuchEntity", 404)


# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
# The policy applies whenever a password is set: CreateLoginProfile, UpdateLoginProfile
# (and ChangePassword) fail with PasswordPolicyViolation (400).
@pytest.mark.fresh
def test_password_policy_is_enforced(fresh_server):
    iam = fresh_server.iam()
    iam.update_account_password_policy(
        MinimumPasswordLength=14, RequireNumbers=True, RequireSymbols=True, RequireUppercaseCharacters=True
    )
    iam.create_user(UserName="pat")
    for weak in ("Sh0rt!", "NoDigitsInThisOne!!", "NoSymbolsInThis1234", "no-uppercase-here-1234"):
        with pytest.raises(ClientError) as e:
            iam.create_login_profile(UserName="pat", Password=weak)
        # AWS: "Password does not conform to the account password policy." (not pinned)
        assert_error(e, "PasswordPolicyViolation", 400)
    with pytest.raises(ClientError):
        iam.get_login_profile(UserName="pat")

    iam.create_login_profile(UserName="pat", Password="Long-Enough-Passw0rd!")
    with pytest.raises(ClientError) as e:
        iam.update_login_profile(UserName="pat", Password="weak")
    assert_error(e, "PasswordPolicyViolation", 400)
    # Only the reset flag: no password, nothing to check.
    iam.update_login_profile(UserName="pat", PasswordResetRequired=True)

    # Without a custom policy, a password shorter than 14 is accepted again (it still meets
    # AWS's default policy: 8+ characters, three character types).
    iam.delete_account_password_policy()
    iam.create_user(UserName="sam")
    iam.create_login_profile(UserName="sam", Password="Sh0rt!xy")
