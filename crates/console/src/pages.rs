//! The console's pages. Each action is one IAM or STS request through `Console::call`; a
//! refusal is shown as the API's code and message, with its HTTP status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use castellan_api::{iam, sts, Response as Api, Service};
use castellan_iam::{ApiError, Caller, Principal};

use crate::html::{self, csrf, esc, html_response};
use crate::{next_step, Console, Creds, Req, RoleRef, SessionCookie, HISTORY};

type Params = Vec<(String, String)>;

fn p(pairs: &[(&str, &str)]) -> Params {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// A signed-in request: the session cookie and the caller it speaks for.
struct Ctx {
    cookie: SessionCookie,
    caller: Caller,
    /// The signed-in identity's name, for "Back to …".
    base: String,
}

pub(crate) async fn route(c: &Console, req: &Req) -> Response {
    let path = req.path.trim_end_matches('/');
    let get = req.method == axum::http::Method::GET;
    match (get, path) {
        (true, "/console/style.css") => {
            let mut r = html::STYLE.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css"));
            return r;
        }
        (_, "/federation") => return federation(c, req).await,
        (false, "/console/signin" | "/console/mfa" | "/console/password") if c.client_blocked(req.peer) => {
            return html::sign_in_page(req, Some("Too many failed sign-in attempts from your address. Try again later."), StatusCode::TOO_MANY_REQUESTS);
        }
        (false, "/console/signin") => return sign_in(c, req).await,
        (false, "/console/mfa") => {
            let (pending, code) = (req.f("pending").to_owned(), req.f("mfacode").trim().to_owned());
            let outcome = c.blocking(move |iam| iam.console_mfa(&pending, &code)).await;
            return next_step(c, req, outcome.unwrap_or_else(|e| Err(castellan_iam::SignInError::Unavailable(e))));
        }
        (false, "/console/password") => {
            if req.f("newpassword") != req.f("confirmpassword") {
                return html::change_password_page(req, req.f("pending"), Some("The new passwords do not match."));
            }
            let (pending, old, new) = (req.f("pending").to_owned(), req.f("oldpassword").to_owned(), req.f("newpassword").to_owned());
            let outcome = c.blocking(move |iam| iam.console_change_password(&pending, &old, &new)).await;
            return next_step(c, req, outcome.unwrap_or_else(|e| Err(castellan_iam::SignInError::Unavailable(e))));
        }
        _ => {}
    }
    let Some(ctx) = signed_in(c, req) else {
        if get && (path == "/console" || path == "/console/root") {
            return html::sign_in_page(req, None, StatusCode::OK);
        }
        // Signed out, or the session expired with its credentials.
        return c.clear_session("/console/");
    };
    let rest: Vec<&str> = path.trim_start_matches("/console").split('/').filter(|s| !s.is_empty()).collect();
    match (get, rest.as_slice()) {
        (true, []) => dashboard(c, req, &ctx).await,
        (false, ["signout"]) => c.clear_session("/console/"),
        (true, ["switchrole"]) => switch_role_form(req, &ctx, None),
        (false, ["switchrole"]) => switch_role(c, req, ctx).await,
        (false, ["switchback"]) => {
            let mut cookie = ctx.cookie;
            cookie.role = None;
            c.set_session(&cookie, "/console/")
        }
        (true, ["users"]) => users(c, req, &ctx, None).await,
        (false, ["users"]) => {
            let r = c.call(&ctx.caller, req.peer, Service::Iam, "CreateUser", p(&[("UserName", req.f("username")), ("Path", req.f("path"))])).await;
            match r {
                Ok(_) => crate::see_other(&format!("/console/users/{}", url(req.f("username")))),
                Err(e) => users(c, req, &ctx, Some(e)).await,
            }
        }
        (true, ["users", name]) => user(c, req, &ctx, name, Notice::None).await,
        (false, ["users", name, action]) => user_action(c, req, &ctx, name, action).await,
        (true, ["groups"]) => groups(c, req, &ctx, None).await,
        (false, ["groups"]) => match c.call(&ctx.caller, req.peer, Service::Iam, "CreateGroup", p(&[("GroupName", req.f("groupname"))])).await {
            Ok(_) => crate::see_other("/console/groups"),
            Err(e) => groups(c, req, &ctx, Some(e)).await,
        },
        (true, ["groups", name]) => group(c, req, &ctx, name).await,
        (true, ["roles"]) => roles(c, req, &ctx, None).await,
        (false, ["roles"]) => {
            let params = p(&[("RoleName", req.f("rolename")), ("AssumeRolePolicyDocument", req.f("trust")), ("Description", req.f("description"))]);
            match c.call(&ctx.caller, req.peer, Service::Iam, "CreateRole", params).await {
                Ok(_) => crate::see_other(&format!("/console/roles/{}", url(req.f("rolename")))),
                Err(e) => roles(c, req, &ctx, Some(e)).await,
            }
        }
        (true, ["roles", name]) => role(c, req, &ctx, name).await,
        (true, ["policies"]) => policies(c, req, &ctx).await,
        (true, ["policy"]) => policy(c, req, &ctx).await,
        (true, ["simulator"]) => simulator(c, req, &ctx, false).await,
        (false, ["simulator"]) => simulator(c, req, &ctx, true).await,
        _ => html::error_page(StatusCode::NOT_FOUND, "There is no such console page."),
    }
}

fn signed_in(c: &Console, req: &Req) -> Option<Ctx> {
    let cookie = req.cookie.clone()?;
    let base = c.base_caller(&cookie)?;
    let caller = c.caller(&cookie)?;
    let base = match &base.principal {
        Principal::User { name, .. } => name.clone(),
        Principal::Root => "root".into(),
        _ => base.arn(),
    };
    Some(Ctx { cookie, caller, base })
}

fn url(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn render(req: &Req, ctx: &Ctx, title: &str, body: &str, status: StatusCode) -> Response {
    let role = ctx.cookie.role.as_ref().map(|(_, r)| r);
    html_response(status, html::page(req, &ctx.caller.arn(), role, &ctx.base, title, body))
}

/// The API's refusal, as the page shows it.
fn refusal(e: &ApiError) -> String {
    format!(r#"<p class="error" role="alert" data-testid="api-error">{}: {}</p>"#, esc(e.code()), esc(e.message()))
}

fn status_of(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A page whose one request was refused.
fn refused(req: &Req, ctx: &Ctx, title: &str, e: &ApiError) -> Response {
    render(req, ctx, title, &refusal(e), status_of(e))
}

async fn sign_in(c: &Console, req: &Req) -> Response {
    if c.client_blocked(req.peer) {
        return html::sign_in_page(req, Some("Too many failed sign-in attempts from your address. Try again later."), StatusCode::TOO_MANY_REQUESTS);
    }
    let account = req.f("account").to_owned();
    let user = (req.f("root") != "1").then(|| req.f("username").trim().to_owned());
    let password = req.f("password").to_owned();
    let outcome = c.blocking(move |iam| iam.console_sign_in(&account, user.as_deref(), &password)).await;
    next_step(c, req, outcome.unwrap_or_else(|e| Err(castellan_iam::SignInError::Unavailable(e))))
}

/// AWS's federation endpoint: `getSigninToken` turns temporary credentials into a sign-in
/// token; `login` opens a console session with it.
async fn federation(c: &Console, req: &Req) -> Response {
    let json = |status: StatusCode, v: serde_json::Value| {
        let mut r = (status, v.to_string()).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    match req.q("Action") {
        "getSigninToken" => {
            let session: serde_json::Value = serde_json::from_str(req.q("Session")).unwrap_or_default();
            let field = |k: &str| session.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let (k, s, t) = (field("sessionId"), field("sessionKey"), field("sessionToken"));
            match c.blocking(move |iam| iam.federation_signin_token(&k, &s, &t)).await {
                Ok(Ok(token)) => json(StatusCode::OK, serde_json::json!({ "SigninToken": token })),
                Ok(Err(e)) | Err(e) => json(status_of(&e), serde_json::json!({ "Error": e.code(), "Message": e.message() })),
            }
        }
        "login" => {
            let token = req.q("SigninToken").to_owned();
            match c.blocking(move |iam| iam.federation_login(&token)).await {
                Ok(Ok(creds)) => {
                    // Only console pages: never an open redirect.
                    let dest = req.q("Destination");
                    let dest = if dest.starts_with("/console") { dest.to_owned() } else { "/console/".to_owned() };
                    let cookie = SessionCookie { base: Creds { k: creds.access_key_id, t: creds.session_token }, role: None, history: Vec::new() };
                    // A page rather than a redirect: the cookie is SameSite=Strict, and the
                    // navigation that brought the browser here may have come from another site.
                    let mut r = c.set_session(&cookie, &dest);
                    *r.status_mut() = StatusCode::OK;
                    r.headers_mut().remove(header::LOCATION);
                    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                    let body = format!(r#"<!doctype html><html><head><meta http-equiv="refresh" content="0;url={0}"></head><body><a href="{0}">Continue to the console</a></body></html>"#, esc(&dest));
                    *r.body_mut() = body.into();
                    r
                }
                Ok(Err(e)) | Err(e) => html::error_page(status_of(&e), e.message()),
            }
        }
        _ => html::error_page(StatusCode::BAD_REQUEST, "Action must be getSigninToken or login."),
    }
}

fn switch_role_form(req: &Req, ctx: &Ctx, error: Option<&ApiError>) -> Response {
    let v = |form: &str, query: &str| esc(if req.f(form).is_empty() { req.q(query) } else { req.f(form) });
    let colors: String = ["red", "orange", "yellow", "green", "blue"]
        .iter()
        .map(|c| format!(r#"<option value="{c}"{}>{c}</option>"#, if v("color", "color") == *c { " selected" } else { "" }))
        .collect();
    let history: String = ctx
        .cookie
        .history
        .iter()
        .map(|r| {
            format!(
                r#"<li><form method="post" action="/console/switchrole">{}<input type="hidden" name="account" value="{}"><input type="hidden" name="rolename" value="{}"><input type="hidden" name="displayname" value="{}"><input type="hidden" name="color" value="{}"><button>{}</button></form></li>"#,
                csrf(req),
                esc(&r.account),
                esc(&r.role),
                esc(&r.label),
                esc(&r.color),
                esc(&r.label)
            )
        })
        .collect();
    let body = format!(
        r#"{}<form class="box" method="post" action="/console/switchrole">{}<label for="account">Account</label><input id="account" name="account" value="{}"><label for="rolename">Role</label><input id="rolename" name="rolename" value="{}"><label for="displayname">Display name</label><input id="displayname" name="displayname" value="{}"><label for="color">Color</label><select id="color" name="color">{colors}</select><div><button type="submit">Switch Role</button></div></form><section><h2>Role history</h2><ul>{history}</ul></section>"#,
        error.map(refusal).unwrap_or_default(),
        csrf(req),
        v("account", "account"),
        v("rolename", "roleName"),
        v("displayname", "displayName")
    );
    render(req, ctx, "Switch Role", &body, error.map_or(StatusCode::OK, status_of))
}

/// Switch Role: AssumeRole with the signed-in identity's session (never from a role session:
/// the console does not chain roles), for an hour, named after the user.
async fn switch_role(c: &Console, req: &Req, ctx: Ctx) -> Response {
    let Some(base) = c.base_caller(&ctx.cookie) else { return c.clear_session("/console/") };
    let account = req.f("account").trim().to_owned();
    let role = req.f("rolename").trim().to_owned();
    let account_id = c.iam().resolve_account(&account).unwrap_or_else(|| account.clone());
    let arn = format!("arn:{}:iam::{account_id}:role/{role}", base.partition.as_str());
    let session_name = match &base.principal {
        Principal::User { name, .. } => name.clone(),
        _ => "console".into(),
    };
    let params = p(&[("RoleArn", &arn), ("RoleSessionName", &session_name), ("DurationSeconds", "3600")]);
    match c.call(&base, req.peer, Service::Sts, "AssumeRole", params).await {
        Ok(Api::AssumeRole(sts::AssumeRoleResponse { credentials: Some(creds), .. })) => {
            let label = if req.f("displayname").trim().is_empty() { format!("{role} @ {account}") } else { req.f("displayname").trim().to_owned() };
            let r = RoleRef { account: account_id, role, label, color: html::color(req.f("color")) };
            let mut cookie = ctx.cookie;
            cookie.history.retain(|h| !(h.account == r.account && h.role == r.role));
            cookie.history.insert(0, r.clone());
            cookie.history.truncate(HISTORY);
            cookie.role = Some((Creds { k: creds.access_key_id, t: creds.session_token }, r));
            c.set_session(&cookie, "/console/")
        }
        Ok(_) => html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected response."),
        Err(e) => switch_role_form(req, &ctx, Some(&e)),
    }
}

async fn dashboard(c: &Console, req: &Req, ctx: &Ctx) -> Response {
    let mut body = format!(r#"<section><h2>Signed in</h2><p>You are <code data-testid="caller-arn">{}</code> in account {}.</p></section>"#, esc(&ctx.caller.arn()), esc(&ctx.caller.account));
    match c.call(&ctx.caller, req.peer, Service::Iam, "GetAccountSummary", Vec::new()).await {
        Ok(Api::GetAccountSummary(s)) => {
            let map = s.summary_map.unwrap_or_default();
            let get = |k: iam::SummaryKeyType| map.iter().find(|(key, _)| *key == k).map_or(0, |(_, v)| *v);
            let mut recs = Vec::new();
            if get(iam::SummaryKeyType::AccountAccessKeysPresent) > 0 {
                recs.push("The root user has access keys. Delete them and use IAM users or roles instead.");
            }
            if get(iam::SummaryKeyType::AccountMFAEnabled) == 0 {
                recs.push("The root user has no MFA device.");
            }
            if get(iam::SummaryKeyType::MFADevicesInUse) < get(iam::SummaryKeyType::Users) {
                recs.push("Some IAM users have no MFA device.");
            }
            let rows: String = map.iter().map(|(k, v)| format!("<tr><td>{}</td><td>{v}</td></tr>", esc(&k.to_string()))).collect();
            let recs: String = recs.iter().map(|r| format!("<li>{}</li>", esc(r))).collect();
            body.push_str(&format!(r#"<section><h2>Security recommendations</h2><ul data-testid="recommendations">{recs}</ul></section><section><h2>Account summary</h2><table>{rows}</table></section>"#));
        }
        Ok(_) => {}
        Err(e) => body.push_str(&format!("<section><h2>Account summary</h2>{}</section>", refusal(&e))),
    }
    render(req, ctx, "IAM dashboard", &body, StatusCode::OK)
}

async fn users(c: &Console, req: &Req, ctx: &Ctx, error: Option<ApiError>) -> Response {
    let list = match c.call(&ctx.caller, req.peer, Service::Iam, "ListUsers", p(&[("MaxItems", "1000")])).await {
        Ok(Api::ListUsers(r)) => {
            let rows: String = r
                .users
                .iter()
                .map(|u| format!(r#"<tr><td><a href="/console/users/{}">{}</a></td><td>{}</td><td>{}</td></tr>"#, url(&u.user_name), esc(&u.user_name), esc(&u.path), esc(&u.arn)))
                .collect();
            format!("<table><tr><th>User name</th><th>Path</th><th>ARN</th></tr>{rows}</table>")
        }
        Ok(_) => String::new(),
        Err(e) => return refused(req, ctx, "Users", &e),
    };
    let form = r#"<h2>Create user</h2><label for="username">User name</label><input id="username" name="username"><div><button type="submit">Create user</button></div>"#;
    listing(req, ctx, "Users", "/console/users", form, &list, error.as_ref())
}

/// A listing page: the refusal of its last action, if any, its create form, its table.
fn listing(req: &Req, ctx: &Ctx, title: &str, action: &str, form: &str, table: &str, error: Option<&ApiError>) -> Response {
    let body = format!(
        r#"{}<form class="box" method="post" action="{action}">{}{form}</form><section>{table}</section>"#,
        error.map(refusal).unwrap_or_default(),
        csrf(req)
    );
    render(req, ctx, title, &body, error.map_or(StatusCode::OK, status_of))
}

/// What a user page says after an action.
enum Notice {
    None,
    Error(ApiError),
    /// CreateAccessKey: the secret, shown this once.
    NewKey(String, String),
    /// CreateVirtualMFADevice: the serial number, the seed and the QR code.
    NewDevice(String, String, Vec<u8>),
    Done(&'static str),
}

async fn user(c: &Console, req: &Req, ctx: &Ctx, name: &str, notice: Notice) -> Response {
    let caller = &ctx.caller;
    let u = match c.call(caller, req.peer, Service::Iam, "GetUser", p(&[("UserName", name)])).await {
        Ok(Api::GetUser(r)) => r.user,
        Ok(_) => return html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected response."),
        Err(e) => return refused(req, ctx, &format!("User {name}"), &e),
    };
    let form = |action: &str, inner: &str, button: &str| {
        format!(r#"<form class="box" method="post" action="/console/users/{}/{action}">{}{inner}<div><button type="submit">{button}</button></div></form>"#, url(name), csrf(req))
    };
    let mut body = match &notice {
        Notice::None => String::new(),
        Notice::Error(e) => refusal(e),
        Notice::Done(m) => format!(r#"<p class="ok" role="status">{}</p>"#, esc(m)),
        Notice::NewKey(id, secret) => format!(
            r#"<section><h2>New access key</h2><p class="ok">This is the only time the secret access key can be seen. Save it now.</p><p>Access key ID: <code data-testid="new-key-id">{}</code></p><p>Secret access key: <code data-testid="new-key-secret">{}</code></p></section>"#,
            esc(id),
            esc(secret)
        ),
        Notice::NewDevice(serial, seed, png) => format!(
            r#"<section><h2>Virtual MFA device</h2><p>Scan the QR code with an authenticator app (or enter the secret key), then enter two consecutive codes. This is the only time the secret can be seen.</p><img alt="QR code" src="data:image/png;base64,{}"><p>Secret key: <code data-testid="mfa-seed">{}</code></p>{}</section>"#,
            base64::engine::general_purpose::STANDARD.encode(png),
            esc(seed),
            form("mfa-enable", &format!(r#"<input type="hidden" name="serial" value="{}"><label for="code1">MFA code 1</label><input id="code1" name="code1"><label for="code2">MFA code 2</label><input id="code2" name="code2">"#, esc(serial)), "Assign MFA")
        ),
    };
    body.push_str(&format!(r#"<section><p>ARN: <code>{}</code></p><p>User ID: <code>{}</code></p></section>"#, esc(&u.arn), esc(&u.user_id)));
    let section = |title: &str, r: Result<String, ApiError>| match r {
        Ok(inner) => format!("<section><h2>{}</h2>{inner}</section>", esc(title)),
        Err(e) => format!("<section><h2>{}</h2>{}</section>", esc(title), refusal(&e)),
    };
    let groups = c.call(caller, req.peer, Service::Iam, "ListGroupsForUser", p(&[("UserName", name)])).await.map(|r| match r {
        Api::ListGroupsForUser(g) => g.groups.iter().map(|g| format!("<li>{}</li>", esc(&g.group_name))).collect::<String>(),
        _ => String::new(),
    });
    body.push_str(&section("Groups", groups.map(|g| format!("<ul>{g}</ul>{}", form("addgroup", r#"<label for="group">Group name</label><input id="group" name="group">"#, "Add to group")))));
    let attached = c.call(caller, req.peer, Service::Iam, "ListAttachedUserPolicies", p(&[("UserName", name)])).await.map(|r| match r {
        Api::ListAttachedUserPolicies(a) => a
            .attached_policies
            .unwrap_or_default()
            .iter()
            .map(|a| {
                let arn = a.policy_arn.clone().unwrap_or_default();
                format!(r#"<li><a href="/console/policy?arn={}">{}</a> {}</li>"#, url(&arn), esc(a.policy_name.as_deref().unwrap_or("")), form("detach", &format!(r#"<input type="hidden" name="arn" value="{}">"#, esc(&arn)), "Detach"))
            })
            .collect::<String>(),
        _ => String::new(),
    });
    body.push_str(&section("Permissions policies", attached.map(|a| format!("<ul>{a}</ul>{}", form("attach", r#"<label for="policyarn">Policy ARN</label><input id="policyarn" name="arn">"#, "Attach policy")))));
    let keys = c.call(caller, req.peer, Service::Iam, "ListAccessKeys", p(&[("UserName", name)])).await.map(|r| match r {
        Api::ListAccessKeys(k) => k
            .access_key_metadata
            .iter()
            .map(|k| format!("<li><code>{}</code> {}</li>", esc(k.access_key_id.as_deref().unwrap_or("")), esc(k.status.map(|s| s.as_str()).unwrap_or(""))))
            .collect::<String>(),
        _ => String::new(),
    });
    body.push_str(&section("Access keys", keys.map(|k| format!("<ul>{k}</ul>{}", form("accesskey", "", "Create access key")))));
    let login = match c.call(caller, req.peer, Service::Iam, "GetLoginProfile", p(&[("UserName", name)])).await {
        Ok(_) => Ok("<p>Console password: enabled.</p>".to_owned()),
        Err(ApiError::NoSuchEntity(_)) => Ok(form(
            "password",
            r#"<p>Console password: none.</p><label for="newpassword">Password</label><input id="newpassword" name="password" type="password"><label><input type="checkbox" name="reset" value="true"> User must create a new password at next sign-in</label>"#,
            "Enable console access",
        )),
        Err(e) => Err(e),
    };
    body.push_str(&section("Console password", login));
    let mfa = c.call(caller, req.peer, Service::Iam, "ListMFADevices", p(&[("UserName", name)])).await.map(|r| match r {
        Api::ListMFADevices(m) => m.mfa_devices.iter().map(|d| format!("<li><code>{}</code></li>", esc(&d.serial_number))).collect::<String>(),
        _ => String::new(),
    });
    body.push_str(&section("MFA devices", mfa.map(|m| format!("<ul>{m}</ul>{}", form("mfa-create", "", "Assign MFA device")))));
    let status = match &notice {
        Notice::Error(e) => status_of(e),
        _ => StatusCode::OK,
    };
    render(req, ctx, &format!("User {}", u.user_name), &body, status)
}

async fn user_action(c: &Console, req: &Req, ctx: &Ctx, name: &str, action: &str) -> Response {
    let caller = &ctx.caller;
    let call = |op: &'static str, params: Params| async move { c.call(caller, req.peer, Service::Iam, op, params).await };
    let notice = match action {
        "accesskey" => match call("CreateAccessKey", p(&[("UserName", name)])).await {
            Ok(Api::CreateAccessKey(k)) => Notice::NewKey(k.access_key.access_key_id, k.access_key.secret_access_key),
            Ok(_) => Notice::None,
            Err(e) => Notice::Error(e),
        },
        "attach" => done(call("AttachUserPolicy", p(&[("UserName", name), ("PolicyArn", req.f("arn").trim())])).await, "Policy attached."),
        "detach" => done(call("DetachUserPolicy", p(&[("UserName", name), ("PolicyArn", req.f("arn"))])).await, "Policy detached."),
        "addgroup" => done(call("AddUserToGroup", p(&[("UserName", name), ("GroupName", req.f("group").trim())])).await, "Added to the group."),
        "password" => {
            let reset = if req.f("reset") == "true" { "true" } else { "false" };
            done(call("CreateLoginProfile", p(&[("UserName", name), ("Password", req.f("password")), ("PasswordResetRequired", reset)])).await, "Console access enabled.")
        }
        "mfa-create" => match call("CreateVirtualMFADevice", p(&[("VirtualMFADeviceName", name)])).await {
            Ok(Api::CreateVirtualMFADevice(r)) => {
                let d = r.virtual_mfa_device;
                let seed = d.base32_string_seed.map(|b| String::from_utf8_lossy(&b.0).into_owned()).unwrap_or_default();
                Notice::NewDevice(d.serial_number, seed, d.qr_code_png.map(|b| b.0).unwrap_or_default())
            }
            Ok(_) => Notice::None,
            Err(e) => Notice::Error(e),
        },
        "mfa-enable" => done(
            call("EnableMFADevice", p(&[("UserName", name), ("SerialNumber", req.f("serial")), ("AuthenticationCode1", req.f("code1").trim()), ("AuthenticationCode2", req.f("code2").trim())])).await,
            "MFA device assigned.",
        ),
        _ => return html::error_page(StatusCode::NOT_FOUND, "There is no such console page."),
    };
    user(c, req, ctx, name, notice).await
}

fn done(r: Result<Api, ApiError>, message: &'static str) -> Notice {
    match r {
        Ok(_) => Notice::Done(message),
        Err(e) => Notice::Error(e),
    }
}

async fn groups(c: &Console, req: &Req, ctx: &Ctx, error: Option<ApiError>) -> Response {
    let list = match c.call(&ctx.caller, req.peer, Service::Iam, "ListGroups", p(&[("MaxItems", "1000")])).await {
        Ok(Api::ListGroups(r)) => r.groups.iter().map(|g| format!(r#"<tr><td><a href="/console/groups/{}">{}</a></td><td>{}</td></tr>"#, url(&g.group_name), esc(&g.group_name), esc(&g.arn))).collect::<String>(),
        Ok(_) => String::new(),
        Err(e) => return refused(req, ctx, "Groups", &e),
    };
    let form = r#"<h2>Create group</h2><label for="groupname">Group name</label><input id="groupname" name="groupname"><div><button type="submit">Create group</button></div>"#;
    listing(req, ctx, "Groups", "/console/groups", form, &format!("<table><tr><th>Group name</th><th>ARN</th></tr>{list}</table>"), error.as_ref())
}

async fn group(c: &Console, req: &Req, ctx: &Ctx, name: &str) -> Response {
    match c.call(&ctx.caller, req.peer, Service::Iam, "GetGroup", p(&[("GroupName", name)])).await {
        Ok(Api::GetGroup(g)) => {
            let users: String = g.users.iter().map(|u| format!(r#"<li><a href="/console/users/{}">{}</a></li>"#, url(&u.user_name), esc(&u.user_name))).collect();
            let body = format!(r#"<section><p>ARN: <code>{}</code></p><h2>Users</h2><ul>{users}</ul></section>"#, esc(&g.group.arn));
            render(req, ctx, &format!("Group {}", g.group.group_name), &body, StatusCode::OK)
        }
        Ok(_) => html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected response."),
        Err(e) => refused(req, ctx, &format!("Group {name}"), &e),
    }
}

const TRUST_TEMPLATE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::ACCOUNT:root" },
      "Action": "sts:AssumeRole"
    }
  ]
}"#;

async fn roles(c: &Console, req: &Req, ctx: &Ctx, error: Option<ApiError>) -> Response {
    let list = match c.call(&ctx.caller, req.peer, Service::Iam, "ListRoles", p(&[("MaxItems", "1000")])).await {
        Ok(Api::ListRoles(r)) => r.roles.iter().map(|r| format!(r#"<tr><td><a href="/console/roles/{}">{}</a></td><td>{}</td></tr>"#, url(&r.role_name), esc(&r.role_name), esc(&r.arn))).collect::<String>(),
        Ok(_) => String::new(),
        Err(e) => return refused(req, ctx, "Roles", &e),
    };
    let trust = if req.f("trust").is_empty() { TRUST_TEMPLATE.replace("ACCOUNT", &ctx.caller.account).replace("arn:aws:", ctx.caller.partition.arn_prefix()) } else { req.f("trust").to_owned() };
    let status = error.as_ref().map_or(StatusCode::OK, status_of);
    let body = format!(
        r#"{}<form class="box" method="post" action="/console/roles">{}<h2>Create role</h2><label for="rolename">Role name</label><input id="rolename" name="rolename" value="{}"><label for="description">Description</label><input id="description" name="description" value="{}"><label for="trust">Trust policy</label><textarea id="trust" name="trust">{}</textarea><div><button type="submit">Create role</button></div></form><section><table><tr><th>Role name</th><th>ARN</th></tr>{list}</table></section>"#,
        error.as_ref().map(refusal).unwrap_or_default(),
        csrf(req),
        esc(req.f("rolename")),
        esc(req.f("description")),
        esc(&trust)
    );
    render(req, ctx, "Roles", &body, status)
}

fn decoded(doc: &str) -> String {
    let text: String = form_urlencoded::parse(format!("d={}", doc.replace('+', "%2B")).as_bytes()).map(|(_, v)| v.into_owned()).collect();
    serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| serde_json::to_string_pretty(&v).ok()).unwrap_or(text)
}

async fn role(c: &Console, req: &Req, ctx: &Ctx, name: &str) -> Response {
    match c.call(&ctx.caller, req.peer, Service::Iam, "GetRole", p(&[("RoleName", name)])).await {
        Ok(Api::GetRole(r)) => {
            let trust = r.role.assume_role_policy_document.as_deref().map(decoded).unwrap_or_default();
            let switch = format!("/console/switchrole?account={}&roleName={}", url(&ctx.caller.account), url(&r.role.role_name));
            let body = format!(
                r#"<section><p>ARN: <code>{}</code></p><p>Link to switch roles in the console: <a href="{1}">{1}</a></p><h2>Trust policy</h2><pre>{2}</pre></section>"#,
                esc(&r.role.arn),
                esc(&switch),
                esc(&trust)
            );
            render(req, ctx, &format!("Role {}", r.role.role_name), &body, StatusCode::OK)
        }
        Ok(_) => html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected response."),
        Err(e) => refused(req, ctx, &format!("Role {name}"), &e),
    }
}

/// Policies, searchable by name: every page of ListPolicies, filtered here.
async fn policies(c: &Console, req: &Req, ctx: &Ctx) -> Response {
    let scope = match req.q("scope") {
        "AWS" => "AWS",
        "Local" => "Local",
        _ => "All",
    };
    let q = req.q("q").to_lowercase();
    let mut found = Vec::new();
    let mut marker = String::new();
    loop {
        let params = p(&[("Scope", scope), ("MaxItems", "1000"), ("Marker", &marker)]);
        match c.call(&ctx.caller, req.peer, Service::Iam, "ListPolicies", params).await {
            Ok(Api::ListPolicies(r)) => {
                found.extend(r.policies.unwrap_or_default().into_iter().filter(|p| p.policy_name.as_deref().unwrap_or("").to_lowercase().contains(&q)));
                match r.marker {
                    Some(m) if r.is_truncated == Some(true) => marker = m,
                    _ => break,
                }
            }
            Ok(_) => break,
            Err(e) => return refused(req, ctx, "Policies", &e),
        }
    }
    let total = found.len();
    let rows: String = found
        .iter()
        .take(200)
        .map(|p| {
            let arn = p.arn.clone().unwrap_or_default();
            let kind = if arn.split(':').nth(4) == Some("aws") { "AWS managed" } else { "Customer managed" };
            format!(r#"<tr><td><a href="/console/policy?arn={}">{}</a></td><td>{kind}</td></tr>"#, url(&arn), esc(p.policy_name.as_deref().unwrap_or("")))
        })
        .collect();
    let sel = |s: &str| if s == scope { " selected" } else { "" };
    let body = format!(
        r#"<form class="box" method="get" action="/console/policies"><label for="q">Search</label><input id="q" name="q" value="{}"><select name="scope"><option{}>All</option><option value="AWS"{}>AWS managed</option><option value="Local"{}>Customer managed</option></select><button type="submit">Search</button></form><section><p>{total} policies{}</p><table><tr><th>Policy name</th><th>Type</th></tr>{rows}</table></section>"#,
        esc(req.q("q")),
        sel("All"),
        sel("AWS"),
        sel("Local"),
        if total > 200 { " (the first 200 shown)" } else { "" }
    );
    render(req, ctx, "Policies", &body, StatusCode::OK)
}

async fn policy(c: &Console, req: &Req, ctx: &Ctx) -> Response {
    let arn = req.q("arn");
    let got = match c.call(&ctx.caller, req.peer, Service::Iam, "GetPolicy", p(&[("PolicyArn", arn)])).await {
        Ok(Api::GetPolicy(r)) => r.policy.unwrap_or_default(),
        Ok(_) => return html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected response."),
        Err(e) => return refused(req, ctx, "Policy", &e),
    };
    let version = got.default_version_id.clone().unwrap_or_default();
    let doc = match c.call(&ctx.caller, req.peer, Service::Iam, "GetPolicyVersion", p(&[("PolicyArn", arn), ("VersionId", &version)])).await {
        Ok(Api::GetPolicyVersion(v)) => v.policy_version.and_then(|v| v.document).map(|d| decoded(&d)).unwrap_or_default(),
        Ok(_) => String::new(),
        Err(e) => refusal(&e),
    };
    let versions = match c.call(&ctx.caller, req.peer, Service::Iam, "ListPolicyVersions", p(&[("PolicyArn", arn)])).await {
        Ok(Api::ListPolicyVersions(v)) => v
            .versions
            .unwrap_or_default()
            .iter()
            .map(|v| format!("<li>{}{}</li>", esc(v.version_id.as_deref().unwrap_or("")), if v.is_default_version == Some(true) { " (default)" } else { "" }))
            .collect::<String>(),
        _ => String::new(),
    };
    let body = format!(
        r#"<section><p>ARN: <code>{}</code></p><p>{}</p><h2>Policy document ({})</h2><pre data-testid="policy-json">{}</pre><h2>Versions</h2><ul>{versions}</ul></section>"#,
        esc(arn),
        esc(got.description.as_deref().unwrap_or("")),
        esc(&version),
        esc(&doc)
    );
    render(req, ctx, got.policy_name.as_deref().unwrap_or("Policy"), &body, StatusCode::OK)
}

/// The policy simulator page: a principal (SimulatePrincipalPolicy) or policies
/// (SimulateCustomPolicy), actions and resources → decisions and the deciding statements.
async fn simulator(c: &Console, req: &Req, ctx: &Ctx, run: bool) -> Response {
    let mut result = String::new();
    if run {
        let mut params: Params = Vec::new();
        for (i, a) in req.f("actions").split([',', ' ', '\n']).map(str::trim).filter(|a| !a.is_empty()).enumerate() {
            params.push((format!("ActionNames.member.{}", i + 1), a.to_owned()));
        }
        for (i, r) in req.f("resources").split([',', ' ', '\n']).map(str::trim).filter(|r| !r.is_empty()).enumerate() {
            params.push((format!("ResourceArns.member.{}", i + 1), r.to_owned()));
        }
        let op = if req.f("principal").trim().is_empty() {
            params.push(("PolicyInputList.member.1".into(), req.f("policy").to_owned()));
            "SimulateCustomPolicy"
        } else {
            params.push(("PolicySourceArn".into(), req.f("principal").trim().to_owned()));
            if !req.f("policy").trim().is_empty() {
                params.push(("PolicyInputList.member.1".into(), req.f("policy").to_owned()));
            }
            "SimulatePrincipalPolicy"
        };
        result = match c.call(&ctx.caller, req.peer, Service::Iam, op, params).await {
            Ok(Api::SimulatePrincipalPolicy(r) | Api::SimulateCustomPolicy(r)) => {
                let rows: String = r
                    .evaluation_results
                    .unwrap_or_default()
                    .iter()
                    .map(|e| {
                        let stmts: Vec<String> = e.matched_statements.clone().unwrap_or_default().iter().map(|s| s.source_policy_id.clone().unwrap_or_default()).collect();
                        format!("<tr><td>{}</td><td>{}</td><td data-testid=\"decision\">{}</td><td>{}</td></tr>", esc(&e.eval_action_name), esc(e.eval_resource_name.as_deref().unwrap_or("*")), esc(e.eval_decision.as_str()), esc(&stmts.join(", ")))
                    })
                    .collect();
                format!("<section><h2>Results</h2><table><tr><th>Action</th><th>Resource</th><th>Decision</th><th>Matched statements</th></tr>{rows}</table></section>")
            }
            Ok(_) => String::new(),
            Err(e) => refusal(&e),
        };
    }
    let body = format!(
        r#"<form class="box" method="post" action="/console/simulator">{}<label for="principal">Principal ARN (user, group or role; empty to simulate only the policy below)</label><input id="principal" name="principal" value="{}"><label for="policy">Policy JSON</label><textarea id="policy" name="policy">{}</textarea><label for="actions">Actions</label><input id="actions" name="actions" value="{}"><label for="resources">Resources</label><input id="resources" name="resources" value="{}"><div><button type="submit">Run simulation</button></div></form>{result}"#,
        csrf(req),
        esc(req.f("principal")),
        esc(req.f("policy")),
        esc(req.f("actions")),
        esc(req.f("resources"))
    );
    render(req, ctx, "Policy simulator", &body, StatusCode::OK)
}
