//! The console: server-rendered pages at `/console/` and AWS's federation sign-in endpoint at
//! `/federation`. A thin edge: signing in is `castellan-iam`'s (`Iam::console_sign_in` and the
//! steps after it), and every page action is an IAM or STS request made with the signed-in
//! session's credentials through `Iam::handle` — decoded and validated from its parameters as
//! the API decodes them, authorized by the same engine — so the console never has more power
//! than its principal and shows what the API would refuse as the API's message.
//!
//! State lives in two cookies (HttpOnly, SameSite=Strict, Secure when served over TLS): the
//! session (its temporary credentials, the switched-to role and the recent roles, sealed under
//! the master key, so any node can serve it) and a CSRF token every form must echo.

mod html;
mod pages;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use castellan_api::{Operation, QueryParams, Request, Service};
use castellan_iam::messages;
use castellan_iam::{ApiError, Caller, ConsoleCredentials, Iam, RequestInfo, SignIn, SignInError};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

pub use html::esc;

/// How the console is served.
#[derive(Clone, Default)]
pub struct Options {
    /// Cookies get `Secure` (the console is served over HTTPS).
    pub secure_cookies: bool,
    /// Told of every IAM or STS call a page makes (the server's audit trail).
    pub recorder: Option<Recorder>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options").field("secure_cookies", &self.secure_cookies).field("recorder", &self.recorder.is_some()).finish()
    }
}

/// One IAM or STS call a console page made: who, what, and how it ended.
#[derive(Debug)]
pub struct ConsoleCall {
    pub caller: Caller,
    pub op: Operation,
    pub params: QueryParams,
    pub source_ip: IpAddr,
    /// The answer, or the error's code and message.
    pub result: Result<castellan_api::Response, (&'static str, String)>,
}

/// Where console calls are reported.
pub type Recorder = Arc<dyn Fn(ConsoleCall) + Send + Sync>;

/// Failed sign-in attempts allowed per client address in [`CLIENT_WINDOW`].
const CLIENT_FAILURES: u32 = 20;
const CLIENT_WINDOW: Duration = Duration::from_secs(600);
/// Recent roles kept for the Switch Role menu (the AWS console keeps five).
const HISTORY: usize = 5;
const SESSION_COOKIE: &str = "castellan-console";
const CSRF_COOKIE: &str = "castellan-csrf";
/// Sign-in forms are small; anything bigger is refused.
const MAX_FORM: usize = 64 * 1024;

#[derive(Debug)]
pub struct Console {
    iam: Arc<Iam>,
    options: Options,
    /// Failed sign-ins per client address: (count, start of the window).
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// The console's routes: `/console`, `/console/…` and `/federation`.
pub fn router(iam: Arc<Iam>, options: Options) -> Router {
    let console = Arc::new(Console { iam, options, failures: Mutex::new(HashMap::new()) });
    Router::new()
        .route("/console", any(entry))
        .route("/console/", any(entry))
        .route("/console/{*rest}", any(entry))
        .route("/federation", any(entry))
        .with_state(console)
}

/// One console request, as the pages see it.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub form: HashMap<String, String>,
    pub peer: IpAddr,
    pub csrf: String,
    /// The session cookie, opened.
    pub cookie: Option<SessionCookie>,
}

impl Req {
    pub fn q(&self, k: &str) -> &str {
        self.query.get(k).map_or("", String::as_str)
    }
    pub fn f(&self, k: &str) -> &str {
        self.form.get(k).map_or("", String::as_str)
    }
}

/// Temporary credentials as the cookie keeps them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Creds {
    pub k: String,
    pub t: String,
}

/// A role the user switched to (or may switch to again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoleRef {
    pub account: String,
    pub role: String,
    pub label: String,
    pub color: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionCookie {
    /// The signed-in user's (or root's, or a federated user's) session.
    pub base: Creds,
    /// The role session while switched.
    pub role: Option<(Creds, RoleRef)>,
    #[serde(default)]
    pub history: Vec<RoleRef>,
}

async fn entry(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if body.len() > MAX_FORM {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
    }
    let cookies = cookies(&headers);
    let csrf = cookies.get(CSRF_COOKIE).filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())).cloned();
    let new_csrf = csrf.is_none();
    let csrf = csrf.unwrap_or_else(random_hex);
    let cookie = cookies.get(SESSION_COOKIE).and_then(|v| console.iam.open_console(v)).and_then(|json| serde_json::from_str(&json).ok());
    let form = if method == Method::POST { parse(&body) } else { HashMap::new() };
    let req = Req { method, path: uri.path().to_owned(), query: parse(uri.query().unwrap_or("").as_bytes()), form, peer: peer.ip(), csrf, cookie };
    let mut response = if req.method == Method::POST && !csrf_ok(&req) {
        html::error_page(StatusCode::FORBIDDEN, "The request did not carry this page's CSRF token. Reload the page and try again.")
    } else {
        pages::route(&console, &req).await
    };
    let h = response.headers_mut();
    if new_csrf {
        append_cookie(h, &cookie_value(CSRF_COOKIE, &req.csrf, None, console.options.secure_cookies));
    }
    // The pages are never cached and never framed.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("content-security-policy", HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"));
    response
}

/// The double-submit check: the form's `csrf` field equals the CSRF cookie (which another
/// site can neither read nor, with SameSite=Strict, make the browser send).
fn csrf_ok(req: &Req) -> bool {
    let sent = req.f("csrf");
    !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(req.csrf.as_bytes()))
}

fn random_hex() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn parse(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`; `max_age` `Some(0)` deletes it.
fn cookie_value(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn append_cookie(h: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.append(header::SET_COOKIE, v);
    }
}

impl Console {
    pub(crate) fn iam(&self) -> &Arc<Iam> {
        &self.iam
    }

    /// Runs `f` on a blocking thread (argon2, store commits).
    pub(crate) async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&Iam) -> T + Send + 'static) -> Result<T, ApiError> {
        let iam = Arc::clone(&self.iam);
        tokio::task::spawn_blocking(move || f(&iam)).await.map_err(|_| ApiError::ServiceFailure)
    }

    /// The caller the session cookie speaks for (the role while switched), if still valid.
    pub(crate) fn caller(&self, cookie: &SessionCookie) -> Option<Caller> {
        let creds = cookie.role.as_ref().map_or(&cookie.base, |(c, _)| c);
        self.iam.caller_for_session(&creds.k, &creds.t).ok().map(|(caller, _)| caller)
    }

    pub(crate) fn base_caller(&self, cookie: &SessionCookie) -> Option<Caller> {
        self.iam.caller_for_session(&cookie.base.k, &cookie.base.t).ok().map(|(caller, _)| caller)
    }

    /// One IAM or STS request as `caller`: the parameters are decoded and validated as the
    /// API decodes them, then authorized and run by `Iam::handle`.
    pub(crate) async fn call(&self, caller: &Caller, peer: IpAddr, service: Service, action: &str, params: Vec<(String, String)>) -> Result<castellan_api::Response, ApiError> {
        let op = Operation::from_name(service, action).ok_or_else(|| messages::unknown_operation(action, service.api_version()))?;
        let params = QueryParams::from_pairs(params.into_iter().filter(|(_, v)| !v.is_empty()))?;
        let request = Request::parse(op, &params)?;
        let info = RequestInfo { source_ip: Some(peer), secure_transport: self.options.secure_cookies, region: self.iam.partition().iam_region().into() };
        let acting = caller.clone();
        let result = self.blocking(move |iam| iam.handle(&acting, &info, request)).await.and_then(|r| r);
        // As for an API request: RoleLastUsed, and the audit trail.
        if let castellan_iam::Principal::AssumedRole { role_id, .. } = &caller.principal {
            self.iam.record_role_use(role_id, self.iam.partition().iam_region());
        }
        if let Some(record) = &self.options.recorder {
            let outcome = result.clone().map_err(|e| (e.code(), e.message().to_owned()));
            record(ConsoleCall { caller: caller.clone(), op, params, source_ip: peer, result: outcome });
        }
        result
    }

    /// A response that stores `cookie` (sealed) and goes to `to`.
    pub(crate) fn set_session(&self, cookie: &SessionCookie, to: &str) -> Response {
        let sealed = serde_json::to_string(cookie).ok().and_then(|json| self.iam.seal_console(&json).ok());
        let Some(sealed) = sealed else { return html::error_page(StatusCode::INTERNAL_SERVER_ERROR, "The session could not be stored.") };
        let mut r = see_other(to);
        append_cookie(r.headers_mut(), &cookie_value(SESSION_COOKIE, &sealed, Some(43_200), self.options.secure_cookies));
        r
    }

    pub(crate) fn clear_session(&self, to: &str) -> Response {
        let mut r = see_other(to);
        append_cookie(r.headers_mut(), &cookie_value(SESSION_COOKIE, "", Some(0), self.options.secure_cookies));
        r
    }

    /// Is this client over its failed sign-in budget?
    pub(crate) fn client_blocked(&self, peer: IpAddr) -> bool {
        let peer = client_of(peer);
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&peer).is_some_and(|(n, start)| *n >= CLIENT_FAILURES && start.elapsed() < CLIENT_WINDOW)
    }

    pub(crate) fn client_failed(&self, peer: IpAddr) {
        let peer = client_of(peer);
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (_, start)| start.elapsed() < CLIENT_WINDOW);
        }
        let entry = map.entry(peer).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= CLIENT_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// The session cookie for new console credentials.
    pub(crate) fn signed_in(&self, creds: ConsoleCredentials) -> Response {
        let cookie = SessionCookie { base: Creds { k: creds.access_key_id, t: creds.session_token }, role: None, history: Vec::new() };
        self.set_session(&cookie, "/console/")
    }
}

/// The client an address counts for: an IPv4 address, or an IPv6 address's /64 (one host's
/// share of a network), so rotating through a prefix's addresses gains nothing.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// What a sign-in step's outcome shows next.
pub(crate) fn next_step(console: &Console, req: &Req, outcome: Result<SignIn, SignInError>) -> Response {
    match outcome {
        Ok(SignIn::Done(creds)) => console.signed_in(creds),
        Ok(SignIn::NeedMfa { pending }) => html::mfa_page(req, &pending, None),
        Ok(SignIn::MustChangePassword { pending }) => html::change_password_page(req, &pending, None),
        Err(SignInError::Refused(e)) => match req.form.get("pending") {
            Some(p) => html::change_password_page(req, p, Some(e.message())),
            None => html::sign_in_page(req, Some(INCORRECT), StatusCode::UNAUTHORIZED),
        },
        Err(SignInError::HardExpired) => html::sign_in_page(req, Some("Your password has expired. Contact your administrator to reset it."), StatusCode::UNAUTHORIZED),
        Err(SignInError::Unavailable(e)) => html::sign_in_page(req, Some(e.message()), StatusCode::SERVICE_UNAVAILABLE),
        Err(SignInError::Incorrect | SignInError::LockedOut) => {
            console.client_failed(req.peer);
            html::sign_in_page(req, Some(INCORRECT), StatusCode::UNAUTHORIZED)
        }
    }
}

/// The AWS console's words for every failed sign-in: never which part was wrong.
pub(crate) const INCORRECT: &str = "Your authentication information is incorrect. Please try again.";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A failed sign-in counts for the sender's IPv4 address or IPv6 /64.
    #[test]
    fn clients_are_addresses_or_ipv6_prefixes() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(c));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_of(v4), v4);
        assert_eq!(client_of("::ffff:192.0.2.7".parse().unwrap()), v4);
    }
}
