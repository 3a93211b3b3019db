//! The audit trail: every request, allowed, denied or failed, becomes a CloudTrail-format
//! event (the record fields of AWS's "CloudTrail record contents"), written as one JSON line.
//!
//! Off the request path: a request hands what it saw ([`Seen`], moved, not copied) to a
//! bounded channel with `try_send` and goes on; one writer thread takes what the channel holds
//! every 50 ms, turns each into its JSON event, appends them to the current file under
//! `DATA_DIR/audit/`, and `fdatasync`s once per batch. **When the channel is full** (the disk cannot keep up with
//! [`CHANNEL_CAPACITY`] events in hand) the event is dropped and counted
//! (`castellan_audit_events_dropped_total` in `/metrics`, and a warning at most every 10 s): a
//! slow disk never slows or fails IAM. Files rotate by size and by day and are deleted after
//! the retention period. An `--in-memory` server keeps the last [`MEMORY_EVENTS`] events in
//! memory instead.
//!
//! Secrets are removed as CloudTrail removes them: passwords, private keys and tokens in the
//! request are `HIDDEN_DUE_TO_SECURITY_REASONS`; secret access keys and session tokens in the
//! response are left out.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use castellan_api::query::QueryParams;
use castellan_api::{Operation, Service, Timestamp};
use castellan_iam::{Caller, Principal, SessionKind};
use serde_json::{json, Map, Value};

/// Events waiting for the writer at most; one more is dropped (and counted).
pub const CHANNEL_CAPACITY: usize = 65_536;
/// How often the writer takes what the channel holds.
const WRITE_INTERVAL: Duration = Duration::from_millis(50);
/// Events an in-memory trail keeps.
pub const MEMORY_EVENTS: usize = 50_000;
/// What CloudTrail writes in place of a secret request parameter.
const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Where and how long events are kept.
#[derive(Debug)]
pub struct AuditConfig {
    /// The directory of the JSON-lines files; None: in memory (unless `postgres`).
    pub dir: Option<PathBuf>,
    /// The PostgreSQL database the nodes share: events go to its `castellan_audit` table
    /// instead of files, so every node's LookupEvents sees every node's events.
    pub postgres: Option<castellan_store::PostgresStore>,
    /// A file is closed and a new one begun past this size (and at each new UTC day).
    pub max_file_bytes: u64,
    /// Files older than this are deleted.
    pub retention: Duration,
}

/// What one request showed, handed to the trail.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub time_ms: i64,
    pub request_id: String,
    pub service: Option<Service>,
    pub op: Option<Operation>,
    /// `Action` as sent, when it names no operation.
    pub action: Option<String>,
    pub region: Option<String>,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub params: Option<QueryParams>,
    pub caller: Option<Caller>,
    /// The access key id the request claimed, when authentication failed.
    pub claimed_key: Option<String>,
    /// The account of that key, when it is one Castellan knows.
    pub claimed_account: Option<String>,
    pub error: Option<(&'static str, String)>,
    /// The XML answer of a call whose answer CloudTrail records.
    pub response_xml: Option<String>,
    /// AssumeRoleWithWebIdentity/AssumeRoleWithSAML that succeeded: the federated identity
    /// (their requests have no caller).
    pub federated: Option<Federated>,
}

/// A web identity or SAML user, as CloudTrail's userIdentity names it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Federated {
    /// `WebIdentityUser` or `SAMLUser`.
    pub kind: &'static str,
    pub principal_id: String,
    pub user_name: String,
    pub identity_provider: String,
    /// The role's account: the event's recipient.
    pub account: String,
}

impl Federated {
    /// The identity a successful AssumeRoleWithWebIdentity or AssumeRoleWithSAML answer names
    /// (CloudTrail: `WebIdentityUser` with principalId `provider:audience:subject`; `SAMLUser`
    /// with `namequalifier:subject`).
    pub(crate) fn of(response: &castellan_api::Response) -> Option<Federated> {
        let account = |arn: Option<&str>| arn.and_then(|a| a.split_once(":sts::")).and_then(|(_, r)| r.split(':').next()).unwrap_or_default().to_owned();
        match response {
            castellan_api::Response::AssumeRoleWithWebIdentity(r) => {
                let (provider, aud, sub) = (r.provider.clone().unwrap_or_default(), r.audience.clone().unwrap_or_default(), r.subject_from_web_identity_token.clone().unwrap_or_default());
                Some(Federated {
                    kind: "WebIdentityUser",
                    principal_id: format!("{provider}:{aud}:{sub}"),
                    user_name: sub,
                    identity_provider: provider,
                    account: account(r.assumed_role_user.as_ref().map(|u| u.arn.as_str())),
                })
            }
            castellan_api::Response::AssumeRoleWithSAML(r) => {
                let (qualifier, sub) = (r.name_qualifier.clone().unwrap_or_default(), r.subject.clone().unwrap_or_default());
                Some(Federated {
                    kind: "SAMLUser",
                    principal_id: format!("{qualifier}:{sub}"),
                    user_name: sub,
                    identity_provider: qualifier,
                    account: account(r.assumed_role_user.as_ref().map(|u| u.arn.as_str())),
                })
            }
            _ => None,
        }
    }
}

enum Message {
    Event(Box<Seen>),
    Flush(SyncSender<()>),
}

/// Where events are kept.
#[derive(Debug)]
enum Sink {
    Memory(Mutex<VecDeque<Arc<str>>>),
    Files(PathBuf),
    Postgres(castellan_store::PostgresStore),
}

/// The audit trail of this server.
#[derive(Debug)]
pub struct Audit {
    sender: SyncSender<Message>,
    sink: Arc<Sink>,
    dropped: AtomicU64,
    last_warning_ms: AtomicU64,
}

/// Events dropped because the writer could not keep up (all trails of the process).
pub(crate) static DROPPED: AtomicU64 = AtomicU64::new(0);

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Audit {
    /// Starts the writer thread (creating the directory, owner-only).
    pub fn start(mut config: AuditConfig) -> Result<Arc<Self>, String> {
        let sink = match &config.dir {
            _ if config.postgres.is_some() => {
                let db = config.postgres.take().ok_or("no database")?;
                db.audit_init().map_err(|e| format!("cannot create the audit table: {e}"))?;
                Sink::Postgres(db)
            }
            None => Sink::Memory(Mutex::new(VecDeque::new())),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                        .map_err(|e| format!("cannot protect {}: {e}", dir.display()))?;
                }
                Sink::Files(dir.clone())
            }
        };
        let sink = Arc::new(sink);
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let writer = Writer { sink: Arc::clone(&sink), config, file: None };
        std::thread::Builder::new()
            .name("castellan-audit".into())
            .spawn(move || writer.run(&receiver))
            .map_err(|e| format!("cannot start the audit writer: {e}"))?;
        Ok(Arc::new(Self { sender, sink, dropped: AtomicU64::new(0), last_warning_ms: AtomicU64::new(0) }))
    }

    /// Hands a request's event to the writer; never waits. Dropped (and counted) when the
    /// writer is [`CHANNEL_CAPACITY`] events behind.
    pub(crate) fn record(&self, seen: Seen) {
        match self.sender.try_send(Message::Event(Box::new(seen))) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                DROPPED.fetch_add(1, Ordering::Relaxed);
                let now = u64::try_from(now_ms()).unwrap_or(0);
                let last = self.last_warning_ms.load(Ordering::Relaxed);
                if now.saturating_sub(last) > 10_000 && self.last_warning_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                    tracing::warn!(dropped = self.dropped.load(Ordering::Relaxed), "the audit trail cannot keep up: events dropped");
                }
            }
        }
    }

    /// Waits until every event handed over so far is written (at shutdown).
    pub fn flush(&self) {
        let (done, wait) = sync_channel(1);
        if self.sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(30));
        }
    }

    /// Every kept event (its JSON text), newest first, for `LookupEvents`: at least those of
    /// `account` between `start` and `end` (Unix seconds; the database selects only those,
    /// files and memory give all). `visit` returns false to stop. Blocks on I/O.
    pub(crate) fn scan(&self, account: &str, start: i64, end: i64, mut visit: impl FnMut(&str) -> bool) -> Result<(), String> {
        match &*self.sink {
            Sink::Postgres(db) => {
                let mut before = None;
                loop {
                    let page = db.audit_page(account.to_owned(), start, end, before, 500).map_err(|e| e.to_string())?;
                    let last = page.last().map(|(seq, _)| *seq);
                    for (_, event) in &page {
                        if !visit(event) {
                            return Ok(());
                        }
                    }
                    match last {
                        Some(seq) if page.len() == 500 => before = Some(seq),
                        _ => return Ok(()),
                    }
                }
            }
            Sink::Memory(events) => {
                let snapshot: Vec<Arc<str>> = events.lock().map(|e| e.iter().rev().cloned().collect()).unwrap_or_default();
                for e in snapshot {
                    if !visit(&e) {
                        return Ok(());
                    }
                }
                Ok(())
            }
            Sink::Files(dir) => {
                for path in files(dir).into_iter().rev() {
                    let Ok(file) = File::open(&path) else { continue };
                    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
                    for line in lines.iter().rev() {
                        if !visit(line) {
                            return Ok(());
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// The trail's files, oldest first (their names sort by the time they were begun).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("events-") && n.ends_with(".jsonl")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The writer thread's state.
struct Writer {
    sink: Arc<Sink>,
    config: AuditConfig,
    /// The current file, its size and the UTC day it was begun.
    file: Option<(File, u64, i64)>,
}

impl Writer {
    fn run(mut self, receiver: &Receiver<Message>) {
        let mut last_cleanup = 0;
        let mut open = true;
        while open {
            // Polled, not woken per event: a request's `try_send` then never makes a system
            // call to wake the writer. Events reach the trail within WRITE_INTERVAL.
            std::thread::sleep(WRITE_INTERVAL);
            let mut batch = Vec::new();
            loop {
                match receiver.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            if batch.is_empty() {
                continue;
            }
            let mut waiting = Vec::new();
            let mut lines = Vec::with_capacity(batch.len());
            let mut rows = Vec::new();
            for m in batch {
                match m {
                    Message::Event(seen) => {
                        let line = event(&seen);
                        if matches!(&*self.sink, Sink::Postgres(_)) {
                            let account = seen.caller.as_ref().map(|c| c.account.clone()).or_else(|| seen.claimed_account.clone());
                            rows.push(castellan_store::AuditRow { time: seen.time_ms.div_euclid(1000), account, event: line });
                        } else {
                            lines.push(line);
                        }
                    }
                    Message::Flush(done) => waiting.push(done),
                }
            }
            if let (Sink::Postgres(db), false) = (&*self.sink, rows.is_empty()) {
                // A database that is away loses this batch (counted): the trail never waits
                // for it while requests go on.
                let n = rows.len() as u64;
                if let Err(e) = db.audit_append(rows) {
                    DROPPED.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(error = %e, events = n, "cannot write the audit trail to the database: events dropped");
                }
            }
            if let Err(e) = self.write(&lines) {
                tracing::warn!(error = %e, "cannot write the audit trail");
            }
            for done in waiting {
                let _ = done.send(());
            }
            let now = now_ms();
            if now - last_cleanup > 3_600_000 {
                last_cleanup = now;
                self.cleanup();
            }
        }
    }

    fn write(&mut self, lines: &[String]) -> std::io::Result<()> {
        let dir = match &*self.sink {
            Sink::Postgres(_) => return Ok(()),
            Sink::Memory(events) => {
                if let Ok(mut events) = events.lock() {
                    for line in lines {
                        if events.len() >= MEMORY_EVENTS {
                            events.pop_front();
                        }
                        events.push_back(Arc::from(line.as_str()));
                    }
                }
                return Ok(());
            }
            Sink::Files(dir) => dir.clone(),
        };
        if lines.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let day = now.div_euclid(86_400_000);
        let rotate = self.file.as_ref().is_none_or(|(_, size, d)| *size >= self.config.max_file_bytes || *d != day);
        if rotate {
            let mut name = Timestamp::from_unix_seconds(now / 1000).to_aws_string().replace(':', "");
            name = format!("events-{name}-{:03}.jsonl", now.rem_euclid(1000));
            let mut opts = OpenOptions::new();
            opts.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let file = opts.open(dir.join(name))?;
            let size = file.metadata().map_or(0, |m| m.len());
            self.file = Some((file, size, day));
        }
        let Some((file, size, _)) = &mut self.file else { return Ok(()) };
        let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        file.write_all(text.as_bytes())?;
        file.sync_data()?;
        *size += text.len() as u64;
        Ok(())
    }

    /// Deletes the files last written before the retention period.
    fn cleanup(&self) {
        if let Sink::Postgres(db) = &*self.sink {
            let horizon = now_ms().div_euclid(1000) - i64::try_from(self.config.retention.as_secs()).unwrap_or(i64::MAX);
            if let Err(e) = db.audit_expire(horizon) {
                tracing::warn!(error = %e, "cannot delete expired audit events");
            }
            return;
        }
        let Sink::Files(dir) = &*self.sink else { return };
        let horizon = SystemTime::now().checked_sub(self.config.retention);
        for path in files(dir) {
            let old = std::fs::metadata(&path).and_then(|m| m.modified()).ok().zip(horizon).is_some_and(|(m, h)| m < h);
            if old {
                tracing::info!(file = %path.display(), "deleting an audit file past its retention");
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// Whether CloudTrail marks the call read-only.
pub(crate) fn read_only(op: Operation) -> bool {
    let n = op.name();
    op.service() == Service::Sts || n.starts_with("Get") || n.starts_with("List") || n.starts_with("Simulate")
}

/// Whether CloudTrail records the call's response: changes, and STS's credentials.
pub(crate) fn records_response(op: Operation) -> bool {
    matches!(op, Operation::AssumeRole | Operation::GetSessionToken | Operation::GetFederationToken) || !read_only(op)
}

/// Request parameters CloudTrail hides.
fn secret_parameter(name: &str) -> bool {
    matches!(
        name,
        "Password" | "OldPassword" | "NewPassword" | "PrivateKey" | "AddPrivateKey" | "SAMLAssertion" | "WebIdentityToken" | "AuthenticationCode1" | "AuthenticationCode2" | "TokenCode" | "SecretAccessKey" | "SessionToken" | "WorkloadToken" | "TradeInToken"
    )
}

/// Response elements CloudTrail leaves out.
fn secret_element(name: &str) -> bool {
    matches!(name, "secretAccessKey" | "sessionToken" | "password" | "privateKey" | "base32StringSeed" | "qRCodePNG" | "servicePassword" | "serviceCredentialSecret")
}

fn lower_camel(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        // Names that begin with an acronym keep it lower: `SAMLAssertion` → `sAMLAssertion` in
        // CloudTrail; AWS lowers the first letter only.
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The query parameters as CloudTrail's `requestParameters`: lowerCamelCase names,
/// `X.member.N` lists as arrays, `X.entry.N.key/value` maps as objects. `Action` and
/// `Version` are not parameters. Null when there are none.
fn request_parameters(params: &QueryParams) -> Value {
    let mut root = Map::new();
    for (name, value) in params.iter() {
        if name == "Action" || name == "Version" {
            continue;
        }
        let hidden = name.split('.').next().is_some_and(secret_parameter);
        let value = if hidden { Value::String(HIDDEN.into()) } else { Value::String(value.to_owned()) };
        let path: Vec<&str> = name.split('.').filter(|s| *s != "member" && *s != "entry").collect();
        insert_path(&mut root, &path, value);
    }
    if root.is_empty() {
        Value::Null
    } else {
        Value::Object(root)
    }
}

/// Sets `path` (names, and 1-based indexes into arrays) in `map` to `value`.
fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let key = lower_camel(first);
    match rest.split_first() {
        None => {
            map.insert(key, value);
        }
        Some((index, after)) => match index.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => {
                let slot = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(items) = slot else { return };
                while items.len() < n {
                    items.push(Value::Null);
                }
                let Some(item) = items.get_mut(n - 1) else { return };
                if after.is_empty() {
                    *item = value;
                } else {
                    if !item.is_object() {
                        *item = Value::Object(Map::new());
                    }
                    if let Value::Object(m) = item {
                        insert_path(m, after, value);
                    }
                }
            }
            _ => {
                let slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = slot {
                    insert_path(m, rest, value);
                }
            }
        },
    }
}

/// The `<…Result>` of an answer as CloudTrail's `responseElements` (lowerCamelCase names,
/// `member` lists as arrays, secrets left out). Null when there is nothing in it.
fn response_elements(xml: &str) -> Value {
    let mut parser = Xml { s: xml, depth: 0 };
    let Some(root) = parser.element() else { return Value::Null };
    // <XResponse><XResult>…</XResult><ResponseMetadata/></XResponse>
    let result = match root {
        Node::Element(_, children) => children.into_iter().find(|c| matches!(c, Node::Element(n, _) if n.ends_with("Result"))),
        Node::Text(_) => None,
    };
    match result.map(to_json) {
        Some(Value::Object(m)) if !m.is_empty() => Value::Object(m),
        _ => Value::Null,
    }
}

enum Node {
    Element(String, Vec<Node>),
    Text(String),
}

fn to_json(node: Node) -> Value {
    match node {
        Node::Text(t) => Value::String(t),
        Node::Element(_, children) => {
            let elements: Vec<Node> = children.into_iter().filter(|c| matches!(c, Node::Element(..))).collect();
            if elements.is_empty() {
                return Value::Null;
            }
            if elements.iter().all(|c| matches!(c, Node::Element(n, _) if n == "member")) {
                return Value::Array(elements.into_iter().map(leaf_or_json).collect());
            }
            let mut m = Map::new();
            for c in elements {
                if let Node::Element(name, _) = &c {
                    let key = lower_camel(name);
                    if !secret_element(&key) {
                        m.insert(key, leaf_or_json(c));
                    }
                }
            }
            Value::Object(m)
        }
    }
}

/// An element holding only text is that text; an empty one is null.
fn leaf_or_json(node: Node) -> Value {
    match node {
        Node::Element(_, children) if children.iter().all(|c| matches!(c, Node::Text(_))) => {
            let text: String = children.into_iter().filter_map(|c| if let Node::Text(t) = c { Some(t) } else { None }).collect();
            if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }
        }
        other => to_json(other),
    }
}

/// A reader of the XML Castellan writes itself (no attributes used, no CDATA, five entities).
struct Xml<'a> {
    s: &'a str,
    depth: usize,
}

impl Xml<'_> {
    fn element(&mut self) -> Option<Node> {
        self.skip_prolog();
        let rest = self.s.strip_prefix('<')?;
        let end = rest.find('>')?;
        let tag = rest.get(..end)?;
        self.s = rest.get(end + 1..)?;
        let name = tag.split_whitespace().next()?.trim_end_matches('/').to_owned();
        if tag.ends_with('/') {
            return Some(Node::Element(name, Vec::new()));
        }
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let mut children = Vec::new();
        loop {
            if let Some(rest) = self.s.strip_prefix("</") {
                let end = rest.find('>')?;
                self.s = rest.get(end + 1..)?;
                self.depth -= 1;
                return Some(Node::Element(name, children));
            }
            if self.s.starts_with('<') {
                children.push(self.element()?);
            } else {
                let end = self.s.find('<')?;
                let text = self.s.get(..end)?;
                self.s = self.s.get(end..)?;
                if !text.trim().is_empty() {
                    children.push(Node::Text(unescape(text)));
                }
            }
        }
    }

    fn skip_prolog(&mut self) {
        self.s = self.s.trim_start();
        if self.s.starts_with("<?") {
            if let Some(end) = self.s.find("?>") {
                self.s = self.s.get(end + 2..).unwrap_or_default().trim_start();
            }
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn user_identity(seen: &Seen) -> Value {
    if let (None, Some(f)) = (&seen.caller, &seen.federated) {
        return json!({ "type": f.kind, "principalId": f.principal_id, "userName": f.user_name, "identityProvider": f.identity_provider });
    }
    let Some(caller) = &seen.caller else {
        // Not authenticated: only what the request claimed.
        let mut id = json!({ "type": "Unknown", "principalId": "", "accountId": seen.claimed_account });
        if let (Some(key), Value::Object(m)) = (&seen.claimed_key, &mut id) {
            m.insert("accessKeyId".into(), Value::String(key.clone()));
        }
        return id;
    };
    let account = &caller.account;
    let mut id = Map::new();
    let session_attributes = caller.session.as_ref().map(|s| {
        json!({
            "creationDate": Timestamp::from_unix_seconds(s.issued).to_aws_string(),
            "mfaAuthenticated": s.mfa.to_string(),
        })
    });
    match &caller.principal {
        Principal::Root => {
            id.insert("type".into(), "Root".into());
            id.insert("principalId".into(), account.clone().into());
        }
        Principal::User { name, id: user_id, .. } => {
            id.insert("type".into(), "IAMUser".into());
            id.insert("principalId".into(), user_id.clone().into());
            id.insert("userName".into(), name.clone().into());
        }
        Principal::AssumedRole { role_name, role_id, role_path, session_name } => {
            id.insert("type".into(), "AssumedRole".into());
            id.insert("principalId".into(), format!("{role_id}:{session_name}").into());
            let mut context = json!({
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": format!("arn:{}:iam::{account}:role{role_path}{role_name}", caller.partition.as_str()),
                    "accountId": account,
                    "userName": role_name,
                },
            });
            if let (Value::Object(c), Some(a)) = (&mut context, session_attributes.clone()) {
                c.insert("attributes".into(), a);
                if let Some(si) = caller.session.as_ref().and_then(|s| s.source_identity.clone()) {
                    c.insert("sourceIdentity".into(), si.into());
                }
            }
            id.insert("sessionContext".into(), context);
        }
        Principal::FederatedUser { name } => {
            id.insert("type".into(), "FederatedUser".into());
            id.insert("principalId".into(), format!("{account}:{name}").into());
            let creator = caller.session.as_ref().and_then(|s| match &s.kind {
                SessionKind::FederatedUser { creator: Some(user), creator_id, .. } => Some(json!({
                    "type": "IAMUser",
                    "principalId": creator_id,
                    "arn": format!("arn:{}:iam::{account}:user/{user}", caller.partition.as_str()),
                    "accountId": account,
                    "userName": user,
                })),
                _ => None,
            });
            let mut context = Map::new();
            if let Some(c) = creator {
                context.insert("sessionIssuer".into(), c);
            }
            if let Some(a) = session_attributes.clone() {
                context.insert("attributes".into(), a);
            }
            id.insert("sessionContext".into(), Value::Object(context));
        }
    }
    id.insert("arn".into(), caller.arn().into());
    id.insert("accountId".into(), account.clone().into());
    id.insert("accessKeyId".into(), caller.access_key_id.clone().into());
    // GetSessionToken credentials: the same user, with a session.
    if matches!(caller.principal, Principal::Root | Principal::User { .. }) {
        if let Some(a) = session_attributes {
            id.insert("sessionContext".into(), json!({ "attributes": a }));
        }
    }
    Value::Object(id)
}

/// A CloudTrail event, its fields in CloudTrail's order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct EventOut<'a> {
    event_version: &'static str,
    user_identity: Value,
    event_time: String,
    event_source: &'static str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: String,
    user_agent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    request_parameters: Value,
    response_elements: Value,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "eventID")]
    event_id: String,
    read_only: bool,
    event_type: &'static str,
    management_event: bool,
    recipient_account_id: Option<&'a str>,
    event_category: &'static str,
}

/// The CloudTrail event of one request, as one line of JSON.
fn event(seen: &Seen) -> String {
    let event_source = match seen.service.unwrap_or(Service::Iam) {
        Service::Iam => "iam.amazonaws.com",
        Service::Sts => "sts.amazonaws.com",
    };
    let account = seen.caller.as_ref().map(|c| c.account.as_str()).or(seen.claimed_account.as_deref());
    let response = match (&seen.error, &seen.response_xml) {
        (None, Some(xml)) => response_elements(xml),
        _ => Value::Null,
    };
    let out = EventOut {
        event_version: "1.08",
        user_identity: user_identity(seen),
        event_time: Timestamp::from_unix_seconds(seen.time_ms.div_euclid(1000)).to_aws_string(),
        event_source,
        event_name: seen.op.map(|op| op.name()).or(seen.action.as_deref()).unwrap_or_default(),
        aws_region: seen.region.as_deref().unwrap_or("us-east-1"),
        source_ip_address: seen.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        user_agent: seen.user_agent.as_deref().unwrap_or_default(),
        error_code: seen.error.as_ref().map(|(code, _)| *code),
        error_message: seen.error.as_ref().map(|(_, m)| m.as_str()),
        request_parameters: seen.params.as_ref().map_or(Value::Null, request_parameters),
        response_elements: response,
        request_id: &seen.request_id,
        event_id: castellan_iam::request_id(),
        read_only: seen.op.is_some_and(read_only),
        event_type: "AwsApiCall",
        management_event: true,
        recipient_account_id: account,
        event_category: "Management",
    };
    serde_json::to_string(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    /// Every secret a request or an answer can carry stays out of the trail (review finding:
    /// SAML private keys, service-specific credential secrets, workload tokens).
    #[test]
    fn secrets_are_named() {
        for p in ["Password", "OldPassword", "NewPassword", "PrivateKey", "AddPrivateKey", "SAMLAssertion", "WebIdentityToken", "TokenCode", "AuthenticationCode1", "AuthenticationCode2", "WorkloadToken", "TradeInToken"] {
            assert!(secret_parameter(p), "{p}");
        }
        for e in ["secretAccessKey", "sessionToken", "password", "privateKey", "base32StringSeed", "qRCodePNG", "servicePassword", "serviceCredentialSecret"] {
            assert!(secret_element(e), "{e}");
        }
    }

    #[test]
    fn request_parameters_nest_lists_and_hide_secrets() {
        let params = QueryParams::from_urlencoded(
            b"Action=CreateLoginProfile&Version=2010-05-08&UserName=bob&Password=hunter2&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2&Tags.member.2.Value=v2",
        )
        .unwrap();
        let v = request_parameters(&params);
        assert_eq!(v["userName"], "bob");
        assert_eq!(v["password"], HIDDEN);
        assert_eq!(v["tags"][1]["key"], "k2");
        assert!(!v.to_string().contains("hunter2"));
        assert_eq!(request_parameters(&QueryParams::from_urlencoded(b"Action=ListUsers&Version=2010-05-08").unwrap()), Value::Null);
    }

    #[test]
    fn response_elements_leave_secrets_out() {
        let xml = "<CreateAccessKeyResponse xmlns=\"x\"><CreateAccessKeyResult><AccessKey><UserName>bob</UserName><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status><SecretAccessKey>s3cr3t</SecretAccessKey></AccessKey></CreateAccessKeyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAccessKeyResponse>";
        let v = response_elements(xml);
        assert_eq!(v["accessKey"]["accessKeyId"], "AKIA1");
        assert!(!v.to_string().contains("s3cr3t"));
        let list = "<R><XResult><Users><member><UserName>a</UserName></member><member><UserName>b&amp;c</UserName></member></Users></XResult></R>";
        assert_eq!(response_elements(list)["users"][1]["userName"], "b&c");
        assert_eq!(response_elements("<R><XResult></XResult></R>"), Value::Null);
        assert_eq!(response_elements("<R><XResult><A>"), Value::Null);
    }
}
