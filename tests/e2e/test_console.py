"""The console in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

AWS documentation these tests follow:
  * IAM User Guide, "How IAM users sign in to AWS" (account ID or alias, IAM user name,
    password, then the MFA code), "Set an account password policy for IAM users"
    (PasswordResetRequired, reuse prevention), "Switch to an IAM role (console)" (account,
    role, display name, colour; the link form `switchrole?account=…&roleName=…&displayName=…`;
    "Back to …"), "Enable custom identity broker access to the AWS console" (the federation
    endpoint: Action=getSigninToken, Action=login).
The wrong-credentials message is the AWS console's: "Your authentication information is
incorrect. Please try again."

Set CASTELLAN_SCREENSHOTS=DIR to save the screenshots the README shows (docs/).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest

from castellan_e2e import ACCOUNT_ID, unique

if os.environ.get("CI"):
    from playwright import sync_api as playwright_api  # under CI a missing Playwright fails
else:
    playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CASTELLAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"the console's browser tests need Chromium ({CHROMIUM}): apt-get install chromium")
    pytest.skip("no Chromium for the console's browser tests (apt-get install chromium)", allow_module_level=True)

OTHER = "111122223333"
OTHER_KEY = ("AKIAOTHEREXAMPLE0001", "OtherAccountSecretKeyExample000000000000")
ROOT_PASSWORD = "Root-Passw0rd-Example!"
PASSWORD = "Passw0rd-Example-1!"
INCORRECT = "Your authentication information is incorrect. Please try again."
SHOTS = os.environ.get("CASTELLAN_SCREENSHOTS")


@pytest.fixture(scope="module")
def console(server_factory):
    """A server of its own (the per-client sign-in limit must not see other tests' failures),
    with a second account and a root password."""
    return server_factory(
        env_extra={
            "CASTELLAN_ACCOUNTS": f"{OTHER}:{OTHER_KEY[0]}:{OTHER_KEY[1]}",
            "CASTELLAN_ROOT_PASSWORD": ROOT_PASSWORD,
        }
    )


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def make_user(console, *, policy: str | None = None, reset: bool = False, account_iam=None) -> str:
    iam = account_iam or console.iam()
    name = unique("cons")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    if policy:
        iam.attach_user_policy(UserName=name, PolicyArn=policy)
    return name


def sign_in(page, console, user: str | None, password: str = PASSWORD, account: str = ACCOUNT_ID) -> None:
    page.goto(f"{console.endpoint}/console/" if user else f"{console.endpoint}/console/root")
    page.get_by_label("Account ID or alias").fill(account)
    if user:
        page.get_by_label("IAM user name").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def identity(page) -> str:
    return page.get_by_test_id("identity").inner_text()


# Sign in with account id and user name; a user without permissions sees the API's refusal.
def test_sign_in_and_a_denied_page(console, page):
    user = make_user(console)
    sign_in(page, console, user, "wrong-Passw0rd!")
    assert INCORRECT in page.content()
    sign_in(page, console, user)
    assert identity(page) == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    resp = page.goto(f"{console.endpoint}/console/users")
    assert resp.status == 403
    assert page.get_by_test_id("api-error").inner_text().startswith(f"AccessDenied: User: arn:aws:iam::{ACCOUNT_ID}:user/{user} is not authorized to perform: iam:ListUsers")
    # Signing out ends the session.
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{console.endpoint}/console/users")
    assert page.get_by_label("IAM user name").is_visible()


# An account alias works in the account field; the root user signs in with its password.
def test_alias_and_root_sign_in(console, page):
    alias = unique("alias")
    console.iam().create_account_alias(AccountAlias=alias)
    try:
        sign_in(page, console, None, ROOT_PASSWORD, account=alias)
        assert identity(page) == f"arn:aws:iam::{ACCOUNT_ID}:root"
        shot(page, "console-dashboard.png")
    finally:
        console.iam().delete_account_alias(AccountAlias=alias)


# PasswordResetRequired forces a new password, held to the account's policy (reuse too).
def test_forced_password_change(console, page):
    iam = console.iam()
    iam.update_account_password_policy(MinimumPasswordLength=12, PasswordReusePrevention=3)
    try:
        user = make_user(console, reset=True)
        sign_in(page, console, user)
        assert page.get_by_role("heading", name="Change your password").is_visible()
        for new, expected in [("short1!A", "Password does not conform to the account password policy."), (PASSWORD, "Password does not conform to the account password policy.")]:
            page.get_by_label("Old password").fill(PASSWORD)
            page.get_by_label("New password", exact=True).fill(new)
            page.get_by_label("Retype new password").fill(new)
            page.get_by_role("button", name="Change password").click()
            assert expected in page.content()
        page.get_by_label("Old password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill("A-Brand-New-Passw0rd")
        page.get_by_label("Retype new password").fill("A-Brand-New-Passw0rd")
        page.get_by_role("button", name="Change password").click()
        assert identity(page) == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
        assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    finally:
        iam.delete_account_password_policy()


# A user with an MFA device is asked for a code (computed here by pyotp); a wrong one fails
# with the same message as a wrong password.
def test_sign_in_with_mfa(console, page):
    iam = console.iam()
    user = make_user(console, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    totp = pyotp.TOTP(dev["Base32StringSeed"].decode())
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName=user, SerialNumber=dev["SerialNumber"], AuthenticationCode1=totp.at((step - 1) * 30), AuthenticationCode2=totp.at(step * 30))
    sign_in(page, console, user)
    page.get_by_label("MFA code").fill("000000" if totp.at((step + 1) * 30) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    assert INCORRECT in page.content()
    sign_in(page, console, user)
    page.get_by_label("MFA code").fill(totp.at((step + 1) * 30))
    page.get_by_role("button", name="Sign in").click()
    assert identity(page) == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    # An MFA console session may read IAM with its read-only policy.
    page.goto(f"{console.endpoint}/console/users")
    assert page.get_by_role("link", name=user).is_visible()


# An administrator creates a user and an access key through the pages; the secret is shown
# once and works.
def test_create_user_and_access_key(console, page):
    admin = make_user(console, policy="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(page, console, admin)
    page.goto(f"{console.endpoint}/console/users")
    new = unique("made")
    page.get_by_label("User name").fill(new)
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("heading", name=f"User {new}").is_visible()
    page.get_by_role("button", name="Create access key").click()
    key_id = page.get_by_test_id("new-key-id").inner_text()
    secret = page.get_by_test_id("new-key-secret").inner_text()
    assert console.sts(access_key=key_id, secret_key=secret).get_caller_identity()["Arn"].endswith(f":user/{new}")
    # A refusal is the API's message: the name is taken.
    page.goto(f"{console.endpoint}/console/users")
    page.get_by_label("User name").fill(new)
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_test_id("api-error").inner_text() == f"EntityAlreadyExists: User with name {new} already exists."
    page.goto(f"{console.endpoint}/console/users")
    shot(page, "console-users.png")


# Switch Role into the second account (the trust policy decides), the banner in the chosen
# colour, the link form, the history, and back to the user.
def test_switch_role_and_back(console, page):
    other_iam = console.iam(access_key=OTHER_KEY[0], secret_key=OTHER_KEY[1])
    user = make_user(console, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    role = unique("xrole")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"}, "Action": "sts:AssumeRole"}]}
    other_iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    other_iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    console.iam().put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    sign_in(page, console, user)
    # A role the trust policy does not allow this user: AWS's AccessDenied.
    page.goto(f"{console.endpoint}/console/switchrole")
    page.get_by_label("Account").fill(OTHER)
    page.get_by_label("Role").fill("NoSuchRole")
    page.get_by_role("button", name="Switch Role").click()
    assert page.get_by_test_id("api-error").inner_text().startswith("AccessDenied:")
    # The link form fills the form in.
    page.goto(f"{console.endpoint}/console/switchrole?account={OTHER}&roleName={role}&displayName=Prod%20admin")
    assert page.get_by_label("Role").input_value() == role
    page.get_by_label("Color").select_option("red")
    page.get_by_role("button", name="Switch Role").click()
    banner = page.get_by_test_id("switched")
    assert "Prod admin" in banner.inner_text()
    assert "color-red" in banner.get_attribute("class")
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(209, 50, 18)"
    assert identity(page) == f"arn:aws:sts::{OTHER}:assumed-role/{role}/{user}"
    page.goto(f"{console.endpoint}/console/roles")
    assert page.get_by_role("link", name=role).is_visible()
    shot(page, "console-switched-role.png")
    page.get_by_role("button", name=f"Back to {user}").click()
    assert identity(page) == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    page.goto(f"{console.endpoint}/console/switchrole")
    assert page.get_by_role("button", name="Prod admin").is_visible()


# The federation endpoint: GetFederationToken credentials → getSigninToken → login.
def test_federation_endpoint(console, page):
    iam = console.iam()
    user = make_user(console, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.put_user_policy(UserName=user, PolicyName="broker", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = console.sts(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts.get_federation_token(Name="broker", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Credentials"]
    session = json.dumps({"sessionId": creds["AccessKeyId"], "sessionKey": creds["SecretAccessKey"], "sessionToken": creds["SessionToken"]})
    url = f"{console.endpoint}/federation?Action=getSigninToken&Session={urllib.parse.quote(session)}"
    token = json.loads(urllib.request.urlopen(url, timeout=30).read())["SigninToken"]
    # A wrong secret gets no token.
    bad = json.dumps({"sessionId": creds["AccessKeyId"], "sessionKey": "x" * 40, "sessionToken": creds["SessionToken"]})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{console.endpoint}/federation?Action=getSigninToken&Session={urllib.parse.quote(bad)}", timeout=30)
    assert e.value.code == 403
    page.goto(f"{console.endpoint}/federation?Action=login&Issuer=test&Destination={urllib.parse.quote('/console/')}&SigninToken={urllib.parse.quote(token)}")
    page.wait_for_selector("[data-testid=identity]")
    assert identity(page) == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/broker"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, data: dict | None = None, cookie: str | None = None) -> tuple[int, str, list[str]]:
    """One request, redirects not followed."""
    req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data is not None else None, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=30) as r:
            return r.status, r.read().decode(), r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get_all("Set-Cookie") or []


# Every form carries a CSRF token: a POST without it (or with another) is refused. After too
# many failed sign-ins from one address, sign-ins from it are refused for a while.
def test_csrf_and_per_client_rate_limit(server_factory):
    srv = server_factory()
    user = unique("rl")
    srv.iam().create_user(UserName=user)
    srv.iam().create_login_profile(UserName=user, Password=PASSWORD)
    status, body, cookies = fetch(f"{srv.endpoint}/console/")
    csrf_cookie = next(c.split(";")[0] for c in cookies if c.startswith("castellan-csrf="))
    token = csrf_cookie.split("=", 1)[1]
    assert all("HttpOnly" in c and "SameSite=Strict" in c for c in cookies)
    form = {"account": ACCOUNT_ID, "username": user, "password": PASSWORD}
    assert fetch(f"{srv.endpoint}/console/signin", form, csrf_cookie)[0] == 403
    assert fetch(f"{srv.endpoint}/console/signin", dict(form, csrf="0" * 64), csrf_cookie)[0] == 403
    status, _, cookies = fetch(f"{srv.endpoint}/console/signin", dict(form, csrf=token), csrf_cookie)
    assert status == 303 and any(c.startswith("castellan-console=") for c in cookies)
    for i in range(20):
        status, body, _ = fetch(f"{srv.endpoint}/console/signin", {"account": ACCOUNT_ID, "username": f"nobody{i}", "password": "x", "csrf": token}, csrf_cookie)
        assert status == 401 and INCORRECT in body
    status, body, _ = fetch(f"{srv.endpoint}/console/signin", dict(form, csrf=token), csrf_cookie)
    assert status == 429 and "Too many failed sign-in attempts" in body


# The sign-in page, for the README.
def test_sign_in_page_screenshot(console, page):
    page.goto(f"{console.endpoint}/console/")
    assert page.get_by_role("button", name="Sign in").is_visible()
    shot(page, "console-sign-in.png")


# The other pages, as an administrator: a role whose trust policy IAM refuses (the API's
# MalformedPolicyDocument), then a good one; policies searched by name with their JSON and
# versions; the simulator's decisions; an MFA device assigned through the user page.
def test_roles_policies_simulator_and_mfa_pages(console, page):
    admin = make_user(console, policy="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(page, console, admin)
    page.goto(f"{console.endpoint}/console/roles")
    role = unique("made")
    page.get_by_label("Role name").fill(role)
    page.get_by_label("Trust policy").fill('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}')
    page.get_by_role("button", name="Create role").click()
    assert page.get_by_test_id("api-error").inner_text().startswith("MalformedPolicyDocument:")
    page.get_by_label("Trust policy").fill(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    page.get_by_role("button", name="Create role").click()
    assert page.get_by_role("heading", name=f"Role {role}").is_visible()
    assert "ec2.amazonaws.com" in page.content()
    # Policies: AWS managed, searchable; the document and its versions.
    page.goto(f"{console.endpoint}/console/policies?q=ReadOnlyAccess&scope=AWS")
    page.get_by_role("link", name="IAMReadOnlyAccess", exact=True).click()
    doc = json.loads(page.get_by_test_id("policy-json").inner_text())
    assert doc["Statement"][0]["Effect"] == "Allow"
    # The simulator: a user with IAMReadOnlyAccess may list users and may not create them.
    reader = make_user(console, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    page.goto(f"{console.endpoint}/console/simulator")
    page.get_by_label("Principal ARN").fill(f"arn:aws:iam::{ACCOUNT_ID}:user/{reader}")
    page.get_by_label("Actions").fill("iam:ListUsers iam:CreateUser")
    page.get_by_role("button", name="Run simulation").click()
    assert page.get_by_test_id("decision").all_inner_texts() == ["allowed", "implicitDeny"]
    # Assign an MFA device to the reader: QR code and secret shown once, then two codes.
    page.goto(f"{console.endpoint}/console/users/{reader}")
    page.get_by_role("button", name="Assign MFA device").click()
    assert page.get_by_alt_text("QR code").is_visible()
    totp = pyotp.TOTP(page.get_by_test_id("mfa-seed").inner_text())
    step = int(time.time()) // 30
    page.get_by_label("MFA code 1").fill(totp.at((step - 1) * 30))
    page.get_by_label("MFA code 2").fill(totp.at(step * 30))
    page.get_by_role("button", name="Assign MFA", exact=True).click()
    assert "MFA device assigned." in page.content()
    assert [d["UserName"] for d in console.iam().list_mfa_devices(UserName=reader)["MFADevices"]] == [reader]
