//! Regression tests for the attacks of the security review ("Security hardening"), each named
//! after the attack, run against the domain (`Iam::handle`) with real requests as the edge
//! decodes them. The end-to-end versions with boto3 are in tests/e2e/test_hardening.py.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test"
)]

use castellan_api::query::QueryParams;
use castellan_api::{Operation, Request, Response, Service};
use castellan_iam::{system_clock, ApiError, Caller, Iam, MasterKey, RequestInfo};
use castellan_store::MemoryStore;

const ACCOUNT: &str = "123456789012";

struct World {
    iam: Iam,
    root: Caller,
}

fn info() -> RequestInfo {
    RequestInfo {
        source_ip: None,
        secure_transport: false,
        region: "us-east-1".into(),
    }
}

fn request(service: Service, action: &str, params: &[(&str, &str)]) -> Request {
    let op = Operation::from_name(service, action).unwrap();
    let version = if service == Service::Iam {
        "2010-05-08"
    } else {
        "2011-06-15"
    };
    let mut pairs = vec![
        ("Action".to_owned(), action.to_owned()),
        ("Version".to_owned(), version.to_owned()),
    ];
    pairs.extend(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Request::parse(op, &QueryParams::from_pairs(pairs).unwrap()).unwrap()
}

impl World {
    fn new() -> World {
        let iam = Iam::open(
            Box::new(MemoryStore::new()),
            MasterKey::generate().0,
            system_clock,
        )
        .unwrap();
        let creds = iam.create_account(Some(ACCOUNT.into())).unwrap();
        let (root, _) = iam.caller_for_access_key(&creds.access_key_id).unwrap();
        World { iam, root }
    }

    fn try_as(
        &self,
        who: &Caller,
        service: Service,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Response, ApiError> {
        self.iam
            .handle(who, &info(), request(service, action, params))
    }

    fn root(&self, action: &str, params: &[(&str, &str)]) -> Response {
        self.try_as(&self.root, Service::Iam, action, params)
            .unwrap_or_else(|e| panic!("{action}: {}", e.message()))
    }

    /// A user with an access key and (optionally) an inline policy; returns its caller.
    fn user(&self, name: &str, policy: Option<&str>) -> Caller {
        self.root("CreateUser", &[("UserName", name)]);
        if let Some(p) = policy {
            self.root(
                "PutUserPolicy",
                &[
                    ("UserName", name),
                    ("PolicyName", "p"),
                    ("PolicyDocument", p),
                ],
            );
        }
        self.key_of(name)
    }

    fn key_of(&self, name: &str) -> Caller {
        let Response::CreateAccessKey(r) = self.root("CreateAccessKey", &[("UserName", name)])
        else {
            panic!()
        };
        self.iam
            .caller_for_access_key(&r.access_key.access_key_id)
            .unwrap()
            .0
    }

    /// Removes a user created by `user` (its key and inline policy first, as IAM requires).
    fn delete_user(&self, name: &str) {
        let Response::ListAccessKeys(keys) = self.root("ListAccessKeys", &[("UserName", name)])
        else {
            panic!()
        };
        for k in keys.access_key_metadata {
            self.root(
                "DeleteAccessKey",
                &[
                    ("UserName", name),
                    ("AccessKeyId", k.access_key_id.as_deref().unwrap()),
                ],
            );
        }
        let _ = self.try_as(
            &self.root,
            Service::Iam,
            "DeleteUserPolicy",
            &[("UserName", name), ("PolicyName", "p")],
        );
        self.root("DeleteUser", &[("UserName", name)]);
    }

    fn assume(&self, who: &Caller, role: &str) -> Result<Caller, ApiError> {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
        let Response::AssumeRole(r) = self.try_as(
            who,
            Service::Sts,
            "AssumeRole",
            &[("RoleArn", &arn), ("RoleSessionName", "sess")],
        )?
        else {
            panic!()
        };
        let c = r.credentials.unwrap();
        Ok(self
            .iam
            .caller_for_session(&c.access_key_id, &c.session_token)
            .unwrap()
            .0)
    }

    fn session(
        &self,
        who: &Caller,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Caller, ApiError> {
        let (key, token) = self.session_token(who, action, params)?;
        self.iam.caller_for_session(&key, &token).map(|(c, _)| c)
    }

    /// The access key id and session token STS returned.
    fn session_token(
        &self,
        who: &Caller,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<(String, String), ApiError> {
        let c = match self.try_as(who, Service::Sts, action, params)? {
            Response::GetSessionToken(r) => r.credentials.unwrap(),
            Response::GetFederationToken(r) => r.credentials.unwrap(),
            other => panic!("{other:?}"),
        };
        Ok((c.access_key_id, c.session_token))
    }

    fn trust_document(&self, role: &str) -> String {
        let Response::GetRole(r) = self.root("GetRole", &[("RoleName", role)]) else {
            panic!()
        };
        let encoded = r.role.assume_role_policy_document.unwrap();
        percent_decode(&encoded)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

fn code(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    r.map_or_else(|e| e.code().to_owned(), |ok| panic!("allowed: {ok:?}"))
}

/// IAM User Guide, "Unique identifiers": a role trusts user/zed; zed is deleted and a new zed
/// is created; the new zed is a different principal and cannot assume the role. The trust
/// policy then shows the old user's bare unique id.
#[test]
fn recreated_user_cannot_assume_a_role_that_trusted_the_old_one() {
    let w = World::new();
    let zed = w.user("zed", None);
    let zed_id = w
        .iam
        .caller_for_access_key(&zed.access_key_id)
        .unwrap()
        .0
        .user_id();
    w.root(
        "CreateRole",
        &[
            ("RoleName", "target"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:user/zed")),
            ),
        ],
    );
    assert!(w.assume(&zed, "target").is_ok(), "the original zed may");
    w.delete_user("zed");
    let new_zed = w.user("zed", None);
    assert_eq!(code(w.assume(&new_zed, "target")), "AccessDenied");
    assert!(
        w.trust_document("target")
            .contains(&format!("\"AWS\":\"{zed_id}\"")),
        "{}",
        w.trust_document("target")
    );
}

/// The same for role-to-role trust: a session of a re-created role is not the old role.
#[test]
fn recreated_role_cannot_assume_a_role_that_trusted_the_old_one() {
    let w = World::new();
    let user = w.user("u", None);
    let first_trust = trust(&format!("arn:aws:iam::{ACCOUNT}:user/u"));
    w.root(
        "CreateRole",
        &[
            ("RoleName", "hop"),
            ("AssumeRolePolicyDocument", &first_trust),
        ],
    );
    w.root(
        "PutRolePolicy",
        &[
            ("RoleName", "hop"),
            ("PolicyName", "p"),
            ("PolicyDocument", &allow("sts:AssumeRole", "*")),
        ],
    );
    w.root(
        "CreateRole",
        &[
            ("RoleName", "target"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:role/hop")),
            ),
        ],
    );
    let hop = w.assume(&user, "hop").unwrap();
    assert!(w.assume(&hop, "target").is_ok());
    w.root(
        "DeleteRolePolicy",
        &[("RoleName", "hop"), ("PolicyName", "p")],
    );
    w.root("DeleteRole", &[("RoleName", "hop")]);
    w.root(
        "CreateRole",
        &[
            ("RoleName", "hop"),
            ("AssumeRolePolicyDocument", &first_trust),
        ],
    );
    w.root(
        "PutRolePolicy",
        &[
            ("RoleName", "hop"),
            ("PolicyName", "p"),
            ("PolicyDocument", &allow("sts:AssumeRole", "*")),
        ],
    );
    let new_hop = w.assume(&user, "hop").unwrap();
    assert_eq!(code(w.assume(&new_hop, "target")), "AccessDenied");
}

/// AWS refuses a trust policy naming a user that does not exist ("Invalid principal in
/// policy"), so a name cannot be reserved for a user created later.
#[test]
fn trust_policy_naming_a_missing_user_is_refused() {
    let w = World::new();
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/later");
    let err = w
        .try_as(
            &w.root,
            Service::Iam,
            "CreateRole",
            &[
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", &trust(&arn)),
            ],
        )
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            "MalformedPolicyDocument",
            format!("Invalid principal in policy: \"AWS\":\"{arn}\"").as_str()
        )
    );
}

/// A renamed user keeps its unique id, so the trust still names it, and IAM shows the new ARN.
#[test]
fn renamed_user_keeps_its_trust_and_the_policy_shows_the_new_name() {
    let w = World::new();
    let amy = w.user("amy", None);
    w.root(
        "CreateRole",
        &[
            ("RoleName", "target"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:user/amy")),
            ),
        ],
    );
    w.root(
        "UpdateUser",
        &[("UserName", "amy"), ("NewUserName", "amelia")],
    );
    let amelia = w.iam.caller_for_access_key(&amy.access_key_id).unwrap().0;
    assert!(w.assume(&amelia, "target").is_ok());
    assert!(w
        .trust_document("target")
        .contains(&format!("arn:aws:iam::{ACCOUNT}:user/amelia")));
}

/// GetSessionToken credentials of a deleted user do not act as a new user of the same name.
#[test]
fn session_of_a_deleted_user_does_not_act_as_a_new_user_of_the_same_name() {
    let w = World::new();
    let old = w.user("zed", None);
    let (key, token) = w.session_token(&old, "GetSessionToken", &[]).unwrap();
    assert!(w.iam.caller_for_session(&key, &token).is_ok());
    w.delete_user("zed");
    w.user("zed", Some(&allow("*", "*")));
    let reopened = w.iam.caller_for_session(&key, &token);
    assert_eq!(
        reopened.map(|(c, _)| c.arn()).unwrap_err().code(),
        "InvalidClientTokenId"
    );
}

/// A federation token of a deleted user gains nothing from a new user of the same name, who
/// is allowed everything: it still cannot assume a role. (Federation tokens may call no STS
/// operation but GetCallerIdentity at all, so this holds whatever the creator; the creator's
/// id matters once other services are served.)
#[test]
fn federation_token_of_a_deleted_user_cannot_assume_a_role_after_the_name_is_reused() {
    let w = World::new();
    let old = w.user("zed", Some(&allow("sts:GetFederationToken", "*")));
    let fed = w
        .session(
            &old,
            "GetFederationToken",
            &[("Name", "fed"), ("Policy", &allow("*", "*"))],
        )
        .unwrap();
    w.delete_user("zed");
    w.user("zed", Some(&allow("*", "*")));
    assert_eq!(
        code(w.try_as(
            &fed,
            Service::Sts,
            "AssumeRole",
            &[
                ("RoleArn", &format!("arn:aws:iam::{ACCOUNT}:role/x")),
                ("RoleSessionName", "sess")
            ]
        )),
        "AccessDenied"
    );
}

/// UpdateUser: "To change a user name, the requester must have appropriate permissions on
/// both the source object and the target object." A user allowed UpdateUser only on herself
/// cannot rename herself.
#[test]
fn rename_into_a_trusted_name_needs_permission_on_the_new_name() {
    let w = World::new();
    let eve = w.user(
        "eve",
        Some(&allow(
            "iam:UpdateUser",
            &format!("arn:aws:iam::{ACCOUNT}:user/eve"),
        )),
    );
    w.user("admin", None);
    w.root(
        "CreateRole",
        &[
            ("RoleName", "admins"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:user/admin")),
            ),
        ],
    );
    w.delete_user("admin");
    let err = w
        .try_as(
            &eve,
            Service::Iam,
            "UpdateUser",
            &[("UserName", "eve"), ("NewUserName", "admin")],
        )
        .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(
        err.message()
            .contains(&format!("on resource: arn:aws:iam::{ACCOUNT}:user/admin")),
        "{}",
        err.message()
    );
    let err = w
        .try_as(
            &eve,
            Service::Iam,
            "UpdateUser",
            &[("UserName", "eve"), ("NewPath", "/admins/")],
        )
        .unwrap_err();
    assert!(
        err.message().contains(&format!(
            "on resource: arn:aws:iam::{ACCOUNT}:user/admins/eve"
        )),
        "{}",
        err.message()
    );
    // Allowed on both names, the rename happens, and the role still does not trust her.
    w.root(
        "PutUserPolicy",
        &[
            ("UserName", "eve"),
            ("PolicyName", "p"),
            ("PolicyDocument", &allow("iam:UpdateUser", "*")),
        ],
    );
    w.try_as(
        &eve,
        Service::Iam,
        "UpdateUser",
        &[("UserName", "eve"), ("NewUserName", "admin")],
    )
    .unwrap();
    let renamed = w.iam.caller_for_access_key(&eve.access_key_id).unwrap().0;
    assert_eq!(code(w.assume(&renamed, "admins")), "AccessDenied");
}

#[test]
fn group_rename_needs_permission_on_the_new_name() {
    let w = World::new();
    w.root("CreateGroup", &[("GroupName", "devs")]);
    let g = format!("arn:aws:iam::{ACCOUNT}:group/devs");
    let eve = w.user("eve", Some(&allow("iam:UpdateGroup", &g)));
    let err = w
        .try_as(
            &eve,
            Service::Iam,
            "UpdateGroup",
            &[("GroupName", "devs"), ("NewGroupName", "admins")],
        )
        .unwrap_err();
    assert!(
        err.message()
            .contains(&format!("on resource: arn:aws:iam::{ACCOUNT}:group/admins")),
        "{}",
        err.message()
    );
}

/// GetFederationToken: "You cannot call any IAM operations using the AWS CLI or the AWS API.
/// You cannot call any STS operations except GetCallerIdentity."
#[test]
fn federation_token_cannot_call_iam_or_assume_role() {
    let w = World::new();
    let user = w.user("u", Some(&allow("*", "*")));
    w.root(
        "CreateRole",
        &[
            ("RoleName", "r"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:root")),
            ),
        ],
    );
    let fed = w
        .session(
            &user,
            "GetFederationToken",
            &[("Name", "fed"), ("Policy", &allow("*", "*"))],
        )
        .unwrap();
    assert_eq!(
        code(w.try_as(&fed, Service::Iam, "ListUsers", &[])),
        "InvalidClientTokenId"
    );
    assert_eq!(
        code(w.try_as(&fed, Service::Iam, "CreateUser", &[("UserName", "x")])),
        "InvalidClientTokenId"
    );
    assert_eq!(code(w.assume(&fed, "r")), "AccessDenied");
    assert_eq!(
        code(w.try_as(
            &fed,
            Service::Sts,
            "GetAccessKeyInfo",
            &[("AccessKeyId", &user.access_key_id)]
        )),
        "AccessDenied"
    );
    assert!(w
        .try_as(&fed, Service::Sts, "GetCallerIdentity", &[])
        .is_ok());
    // GetSessionToken credentials without MFA: no IAM, of STS AssumeRole and GetCallerIdentity.
    let gst = w.session(&user, "GetSessionToken", &[]).unwrap();
    assert_eq!(
        code(w.try_as(&gst, Service::Iam, "ListUsers", &[])),
        "InvalidClientTokenId"
    );
    assert!(w.assume(&gst, "r").is_ok());
}

/// SimulatePrincipalPolicy is authorized against the simulated entity: a Deny on one role
/// protects it.
#[test]
fn simulate_principal_policy_on_a_protected_role_is_denied() {
    let w = World::new();
    w.root(
        "CreateRole",
        &[
            ("RoleName", "secret"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:root")),
            ),
        ],
    );
    w.root(
        "CreateRole",
        &[
            ("RoleName", "open"),
            (
                "AssumeRolePolicyDocument",
                &trust(&format!("arn:aws:iam::{ACCOUNT}:root")),
            ),
        ],
    );
    let secret = format!("arn:aws:iam::{ACCOUNT}:role/secret");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"*"}},{{"Effect":"Deny","Action":"iam:SimulatePrincipalPolicy","Resource":"{secret}"}}]}}"#
    );
    let u = w.user("u", Some(&policy));
    let err = w
        .try_as(
            &u,
            Service::Iam,
            "SimulatePrincipalPolicy",
            &[
                ("PolicySourceArn", &secret),
                ("ActionNames.member.1", "iam:GetUser"),
            ],
        )
        .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(
        // IAM names an existing role "role NAME" (authz::resource_label).
        err.message().contains("on resource: role secret"),
        "{}",
        err.message()
    );
    let open = format!("arn:aws:iam::{ACCOUNT}:role/open");
    assert!(w
        .try_as(
            &u,
            Service::Iam,
            "SimulatePrincipalPolicy",
            &[
                ("PolicySourceArn", &open),
                ("ActionNames.member.1", "iam:GetUser")
            ]
        )
        .is_ok());
}

/// AddRoleToInstanceProfile: "The caller of this operation must be granted the PassRole
/// permission on the IAM role by a permissions policy."
#[test]
fn add_role_to_instance_profile_without_pass_role_is_denied() {
    let w = World::new();
    w.root(
        "CreateRole",
        &[
            ("RoleName", "admin"),
            (
                "AssumeRolePolicyDocument",
                &trust("ec2.amazonaws.com").replace("\"AWS\"", "\"Service\""),
            ),
        ],
    );
    w.root("CreateInstanceProfile", &[("InstanceProfileName", "ip")]);
    let u = w.user("u", Some(&allow("iam:AddRoleToInstanceProfile", "*")));
    let err = w
        .try_as(
            &u,
            Service::Iam,
            "AddRoleToInstanceProfile",
            &[("InstanceProfileName", "ip"), ("RoleName", "admin")],
        )
        .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(
        err.message().contains(&format!(
            "iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/admin"
        )),
        "{}",
        err.message()
    );
    let both = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:AddRoleToInstanceProfile","Resource":"*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}"#;
    w.root(
        "PutUserPolicy",
        &[
            ("UserName", "u"),
            ("PolicyName", "p"),
            ("PolicyDocument", both),
        ],
    );
    w.try_as(
        &u,
        Service::Iam,
        "AddRoleToInstanceProfile",
        &[("InstanceProfileName", "ip"), ("RoleName", "admin")],
    )
    .unwrap();
}

/// GetAccessKeyLastUsed is about the key's owner: a user allowed it only on herself learns
/// nothing about another user's key.
#[test]
fn get_access_key_last_used_of_another_users_key_is_denied() {
    let w = World::new();
    let mallory = w.user(
        "mallory",
        Some(&allow(
            "iam:GetAccessKeyLastUsed",
            &format!("arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"),
        )),
    );
    let victim = w.user("victim", None);
    let err = w
        .try_as(
            &mallory,
            Service::Iam,
            "GetAccessKeyLastUsed",
            &[("AccessKeyId", &victim.access_key_id)],
        )
        .unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(
        err.message()
            .contains("on resource: user victim"),
        "{}",
        err.message()
    );
    assert!(w
        .try_as(
            &mallory,
            Service::Iam,
            "GetAccessKeyLastUsed",
            &[("AccessKeyId", &mallory.access_key_id)]
        )
        .is_ok());
    assert_eq!(
        code(w.try_as(
            &mallory,
            Service::Iam,
            "GetAccessKeyLastUsed",
            &[("AccessKeyId", "AKIAIDONOTEXIST00000")]
        )),
        "AccessDenied"
    );
}

/// Tag keys beginning with `aws:` (any case) are reserved for AWS.
#[test]
fn tag_keys_with_the_reserved_aws_prefix_are_refused() {
    let w = World::new();
    w.root("CreateUser", &[("UserName", "u")]);
    for key in ["aws:owner", "AWS:owner", "Aws:x"] {
        let err = w
            .try_as(
                &w.root,
                Service::Iam,
                "TagUser",
                &[
                    ("UserName", "u"),
                    ("Tags.member.1.Key", key),
                    ("Tags.member.1.Value", "v"),
                ],
            )
            .unwrap_err();
        assert_eq!(err.code(), "InvalidInput", "{key}");
    }
    let err = w
        .try_as(
            &w.root,
            Service::Iam,
            "CreateRole",
            &[
                ("RoleName", "r"),
                (
                    "AssumeRolePolicyDocument",
                    &trust(&format!("arn:aws:iam::{ACCOUNT}:root")),
                ),
                ("Tags.member.1.Key", "aws:x"),
                ("Tags.member.1.Value", "v"),
            ],
        )
        .unwrap_err();
    assert_eq!(err.code(), "InvalidInput");
    w.root(
        "TagUser",
        &[
            ("UserName", "u"),
            ("Tags.member.1.Key", "awsome"),
            ("Tags.member.1.Value", "v"),
        ],
    );
}

/// The simulator simulates exactly the entity it was authorized for: another spelling of the
/// ARN (a path the user does not have, other letter case) is no entity at all.
#[test]
fn simulate_principal_policy_with_another_spelling_of_a_protected_user_is_no_entity() {
    let w = World::new();
    w.root("CreateUser", &[("UserName", "admin")]);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"*"}},{{"Effect":"Deny","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::{ACCOUNT}:user/admin"}}]}}"#
    );
    let u = w.user("eve", Some(&policy));
    for spelling in [format!("arn:aws:iam::{ACCOUNT}:user/ADMIN"), format!("arn:aws:iam::{ACCOUNT}:user/team/admin")] {
        let err = w
            .try_as(&u, Service::Iam, "SimulatePrincipalPolicy", &[("PolicySourceArn", &spelling), ("ActionNames.member.1", "iam:GetUser")])
            .unwrap_err();
        assert_eq!(err.code(), "NoSuchEntity", "{spelling}: {}", err.message());
    }
}

/// Another account's access key is, to GetAccessKeyLastUsed, an unknown key: the denial does
/// not name its owner.
#[test]
fn get_access_key_last_used_does_not_name_another_accounts_user() {
    let w = World::new();
    let other = w.iam.create_account(Some("111122223333".into())).unwrap();
    let (other_root, _) = w.iam.caller_for_access_key(&other.access_key_id).unwrap();
    w.try_as(&other_root, Service::Iam, "CreateUser", &[("UserName", "secret-name")]).unwrap();
    let Response::CreateAccessKey(k) = w.try_as(&other_root, Service::Iam, "CreateAccessKey", &[("UserName", "secret-name")]).unwrap() else {
        panic!()
    };
    let probe = w.user("probe", None);
    let err = w.try_as(&probe, Service::Iam, "GetAccessKeyLastUsed", &[("AccessKeyId", &k.access_key.access_key_id)]).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(!err.message().contains("secret-name") && !err.message().contains("111122223333"), "{}", err.message());
}
