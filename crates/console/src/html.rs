//! The pages' HTML: plain, server-rendered, no script, everything served by Castellan.
//! Every value is escaped with [`esc`].

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{Req, RoleRef};

pub const STYLE: &str = r#"body{font-family:system-ui,sans-serif;margin:0;color:#16191f;background:#f2f3f3}
header{background:#232f3e;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a,header button{color:#fff;background:none;border:0;font:inherit;cursor:pointer;text-decoration:none}
header form{display:inline;margin:0}
.switched{padding:.3rem 1rem;font-weight:bold}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}
section,form.box{background:#fff;border:1px solid #d5dbdb;padding:1rem;margin:0 0 1rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #eaeded;padding:.3rem}
label{display:block;margin:.5rem 0 .2rem}input,select,textarea{font:inherit;padding:.3rem;min-width:18rem}
textarea{width:100%;min-height:12rem;font-family:monospace}
button{font:inherit;padding:.35rem .9rem;margin-top:.6rem;background:#ec7211;color:#fff;border:0;border-radius:2px;cursor:pointer}
.error{color:#d13212;font-weight:bold}.ok{color:#1d8102;font-weight:bold}
pre{background:#fafafa;border:1px solid #eaeded;padding:.5rem;overflow:auto}
.signin{max-width:26rem;margin:4rem auto}
.color-red{background:#d13212;color:#fff}.color-orange{background:#ec7211;color:#fff}.color-yellow{background:#f2c94c}
.color-green{background:#1d8102;color:#fff}.color-blue{background:#0073bb;color:#fff}.color-gray{background:#d5dbdb}"#;

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}

/// The hidden CSRF field every form carries.
pub fn csrf(req: &Req) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, esc(&req.csrf))
}

fn document(title: &str, header: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{} - Castellan console</title><link rel="stylesheet" href="/console/style.css"></head><body>{header}<main>{body}</main></body></html>"#,
        esc(title)
    )
}

/// A page for a signed-in principal: the header names who is signed in, the role switched
/// to (in its colour: a class, as the content security policy allows no inline style), and
/// the way back.
pub fn page(req: &Req, who: &str, role: Option<&RoleRef>, base: &str, title: &str, body: &str) -> String {
    let csrf = csrf(req);
    let switched = role.map_or_else(String::new, |r| {
        format!(
            r#"<div class="switched color-{}" data-testid="switched">{} <small>({} @ {})</small> <form method="post" action="/console/switchback">{csrf}<button>Back to {}</button></form></div>"#,
            esc(&color(&r.color)),
            esc(&r.label),
            esc(&r.role),
            esc(&r.account),
            esc(base)
        )
    });
    let header = format!(
        r#"<header><strong>Castellan</strong><a href="/console/">Dashboard</a><a href="/console/users">Users</a><a href="/console/groups">Groups</a><a href="/console/roles">Roles</a><a href="/console/policies">Policies</a><a href="/console/simulator">Policy simulator</a><a href="/console/switchrole">Switch Role</a><span data-testid="identity">{}</span><form method="post" action="/console/signout">{csrf}<button>Sign out</button></form></header>{switched}"#,
        esc(who)
    );
    document(title, &header, &format!("<h1>{}</h1>{body}", esc(title)))
}

/// Only the colours the AWS console offers; anything else is grey.
pub fn color(c: &str) -> String {
    match c.to_ascii_lowercase().as_str() {
        "red" | "orange" | "yellow" | "green" | "blue" => c.to_ascii_lowercase(),
        _ => "gray".into(),
    }
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    html_response(status, document("Error", "", &format!(r#"<p class="error" role="alert">{}</p><p><a href="/console/">Console home</a></p>"#, esc(message))))
}

fn alert(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| format!(r#"<p class="error" role="alert">{}</p>"#, esc(m)))
}

/// The sign-in form. `/console/root` is the root user's (no user name).
pub fn sign_in_page(req: &Req, message: Option<&str>, status: StatusCode) -> Response {
    let root = req.path == "/console/root" || req.f("root") == "1";
    let account = esc(if req.f("account").is_empty() { req.q("account") } else { req.f("account") });
    let user = if root {
        r#"<input type="hidden" name="root" value="1"><p>Root user sign-in</p>"#.to_owned()
    } else {
        format!(r#"<label for="username">IAM user name</label><input id="username" name="username" autocomplete="username" value="{}">"#, esc(req.f("username")))
    };
    let other = if root { r#"<a href="/console/">Sign in as an IAM user</a>"# } else { r#"<a href="/console/root">Sign in as the root user</a>"# };
    let body = format!(
        r#"<form class="box signin" method="post" action="/console/signin"><h1>Sign in</h1>{}{}<label for="account">Account ID or alias</label><input id="account" name="account" value="{account}">{user}<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password"><div><button type="submit">Sign in</button></div><p>{other}</p></form>"#,
        alert(message),
        csrf(req)
    );
    html_response(status, document("Sign in", "", &body))
}

pub fn mfa_page(req: &Req, pending: &str, message: Option<&str>) -> Response {
    let body = format!(
        r#"<form class="box signin" method="post" action="/console/mfa"><h1>Multi-factor authentication</h1>{}{}<input type="hidden" name="pending" value="{}"><label for="mfacode">MFA code</label><input id="mfacode" name="mfacode" inputmode="numeric" autocomplete="one-time-code"><div><button type="submit">Sign in</button></div></form>"#,
        alert(message),
        csrf(req),
        esc(pending)
    );
    html_response(StatusCode::OK, document("MFA code", "", &body))
}

pub fn change_password_page(req: &Req, pending: &str, message: Option<&str>) -> Response {
    let body = format!(
        r#"<form class="box signin" method="post" action="/console/password"><h1>Change your password</h1><p>You must change your password to continue.</p>{}{}<input type="hidden" name="pending" value="{}"><label for="oldpassword">Old password</label><input id="oldpassword" name="oldpassword" type="password"><label for="newpassword">New password</label><input id="newpassword" name="newpassword" type="password" autocomplete="new-password"><label for="confirmpassword">Retype new password</label><input id="confirmpassword" name="confirmpassword" type="password" autocomplete="new-password"><div><button type="submit">Change password</button></div></form>"#,
        alert(message),
        csrf(req),
        esc(pending)
    );
    let status = if message.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    html_response(status, document("Change password", "", &body))
}
