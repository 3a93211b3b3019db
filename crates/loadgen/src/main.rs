//! `castellan-loadgen`: drives an IAM/STS query endpoint (Castellan, moto, …) with freshly
//! SigV4-signed requests and reports throughput, latency percentiles and — given the server's
//! pid — the server's CPU time per request.
//!
//! Each of `--concurrency` workers owns one keep-alive HTTP/1.1 connection and sends one
//! request at a time (closed loop). Requests finished during `--warmup` are not counted; the
//! run then lasts `--duration` seconds and stops by itself (a request still in flight is
//! waited for, at most `--request-timeout`). Every request is signed at the moment it is sent.

#![allow(
    clippy::print_stdout,
    reason = "a command-line program prints its report on stdout"
)]
#![allow(
    clippy::print_stderr,
    reason = "a command-line program reports problems on stderr"
)]

mod histogram;
mod sign;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Serialize;

use histogram::Histogram;
use sign::{Credentials, Signer, CONTENT_TYPE};

const IAM_VERSION: &str = "2010-05-08";
const STS_VERSION: &str = "2011-06-15";
/// How much of the first error response is kept for the report.
const ERROR_BODY_LIMIT: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Operation {
    /// IAM GetUser (of --user-name, else of the caller).
    GetUser,
    /// STS GetCallerIdentity.
    GetCallerIdentity,
    /// STS AssumeRole of --role-arn.
    AssumeRole,
    /// IAM CreateUser, a new user name every request (--user-prefix).
    CreateUser,
    /// IAM ListUsers.
    ListUsers,
}

impl Operation {
    fn service(self) -> &'static str {
        match self {
            Self::GetCallerIdentity | Self::AssumeRole => "sts",
            Self::GetUser | Self::CreateUser | Self::ListUsers => "iam",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "castellan-loadgen",
    version,
    about = "Load generator for IAM/STS query endpoints: signed requests, throughput, latency percentiles, server CPU per request"
)]
struct Args {
    /// The endpoint, `http://HOST:PORT`.
    #[arg(long, default_value = "http://127.0.0.1:4260")]
    endpoint: String,
    /// Access key id to sign with.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    access_key_id: String,
    /// Secret access key to sign with.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: String,
    /// Session token, for temporary credentials.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
    /// Region of the credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// What to send.
    #[arg(long, value_enum)]
    operation: Operation,
    /// get-user: the user to read (omit for the calling user).
    #[arg(long)]
    user_name: Option<String>,
    /// assume-role: the role's ARN.
    #[arg(long, required_if_eq("operation", "assume-role"))]
    role_arn: Option<String>,
    /// assume-role: the session name (the worker number is appended).
    #[arg(long, default_value = "loadgen")]
    role_session_name: String,
    /// create-user: user names are PREFIX-RUN-WORKER-N (RUN from the clock, so runs never
    /// collide).
    #[arg(long, default_value = "loadgen")]
    user_prefix: String,
    /// Concurrent connections, each with one request in flight.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Give up on a request after this many seconds (counted as a timeout).
    #[arg(long, default_value_t = 10.0)]
    request_timeout: f64,
    /// The server's process id: its CPU time (user + system, from /proc/PID/stat) over the
    /// measured period is divided by the requests.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Threads of the load generator (1: a single-threaded event loop, which leaves the other
    /// cores to the server).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: u32,
    /// Sign with castellan_sigv4::sign (deriving the key on every request) instead of the
    /// cached-key signer: to see what signing costs the client.
    #[arg(long)]
    reference_signer: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("castellan-loadgen: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print_report(&report);
            }
            if report.ok == 0 {
                ExitCode::from(2)
            } else if report.errors > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => {
            eprintln!("castellan-loadgen: {message}");
            ExitCode::from(3)
        }
    }
}

/// What every worker needs.
#[derive(Debug)]
struct Plan {
    addr: SocketAddr,
    host: String,
    credentials: Credentials,
    region: String,
    operation: Operation,
    /// The form body of operations whose body never changes.
    fixed_body: Option<Bytes>,
    user_name_prefix: String,
    role_arn: String,
    role_session_name: String,
    measure_from: Instant,
    stop_at: Instant,
    request_timeout: Duration,
    reference_signer: bool,
}

impl Plan {
    fn body(&self, worker: u32, seq: u64) -> Bytes {
        if let Some(body) = &self.fixed_body {
            return body.clone();
        }
        let mut form = form_urlencoded::Serializer::new(String::with_capacity(160));
        match self.operation {
            Operation::CreateUser => {
                form.append_pair("Action", "CreateUser")
                    .append_pair("Version", IAM_VERSION);
                form.append_pair(
                    "UserName",
                    &format!("{}-{worker}-{seq}", self.user_name_prefix),
                );
            }
            Operation::AssumeRole => {
                form.append_pair("Action", "AssumeRole")
                    .append_pair("Version", STS_VERSION);
                form.append_pair("RoleArn", &self.role_arn);
                form.append_pair(
                    "RoleSessionName",
                    &format!("{}-{worker}", self.role_session_name),
                );
            }
            Operation::GetUser | Operation::GetCallerIdentity | Operation::ListUsers => {}
        }
        Bytes::from(form.finish())
    }
}

fn fixed_body(args: &Args) -> Option<Bytes> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    match args.operation {
        Operation::GetUser => {
            form.append_pair("Action", "GetUser")
                .append_pair("Version", IAM_VERSION);
            if let Some(user) = &args.user_name {
                form.append_pair("UserName", user);
            }
        }
        Operation::GetCallerIdentity => {
            form.append_pair("Action", "GetCallerIdentity")
                .append_pair("Version", STS_VERSION);
        }
        Operation::ListUsers => {
            form.append_pair("Action", "ListUsers")
                .append_pair("Version", IAM_VERSION);
        }
        Operation::AssumeRole | Operation::CreateUser => return None,
    }
    Some(Bytes::from(form.finish()))
}

/// `http://HOST[:PORT][/]` to (`HOST:PORT` for the Host header, the address to connect to).
fn parse_endpoint(endpoint: &str) -> Result<(String, SocketAddr), String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("--endpoint {endpoint}: only http:// endpoints are supported"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("--endpoint {endpoint}: no host"));
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        && !authority.ends_with(']');
    let with_port = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)
        .map_err(|e| format!("--endpoint {endpoint}: {e}"))?
        .next()
        .ok_or_else(|| format!("--endpoint {endpoint}: no address"))?;
    Ok((authority.to_owned(), addr))
}

/// Everything one worker saw.
#[derive(Debug, Default)]
struct Tally {
    latency: Histogram,
    ok: u64,
    by_status: BTreeMap<u16, u64>,
    transport_errors: u64,
    timeouts: u64,
    connections: u64,
    first_error: Option<(Instant, String)>,
    last_done: Option<Instant>,
}

impl Tally {
    fn note_error(&mut self, at: Instant, text: String) {
        if self
            .first_error
            .as_ref()
            .is_none_or(|(first, _)| at < *first)
        {
            self.first_error = Some((at, text));
        }
    }

    fn merge(&mut self, other: Self) {
        self.latency.merge(&other.latency);
        self.ok += other.ok;
        for (status, n) in other.by_status {
            *self.by_status.entry(status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        self.timeouts += other.timeouts;
        self.connections += other.connections;
        if let Some((at, text)) = other.first_error {
            self.note_error(at, text);
        }
        self.last_done = self.last_done.max(other.last_done);
    }
}

type Connection = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Connection, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("set TCP_NODELAY: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
    tokio::spawn(async move {
        // Ends when the worker drops its sender or the server closes the connection.
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request: its status and body.
async fn exchange(
    conn: &mut Connection,
    request: hyper::Request<Full<Bytes>>,
) -> Result<(u16, Bytes), String> {
    let response = conn
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

fn build_request(
    plan: &Plan,
    signer: &mut Signer,
    body: Bytes,
) -> Result<hyper::Request<Full<Bytes>>, String> {
    let signature = if plan.reference_signer {
        signer.sign_reference_now(&body)?
    } else {
        signer.sign_now(&body)
    };
    let mut builder = hyper::Request::post("/")
        .header(hyper::header::HOST, plan.host.as_str())
        .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
        .header("x-amz-date", signature.amz_date)
        .header(hyper::header::AUTHORIZATION, signature.authorization);
    if let Some(token) = signer.session_token() {
        builder = builder.header("x-amz-security-token", token);
    }
    builder
        .body(Full::new(body))
        .map_err(|e| format!("building the request: {e}"))
}

async fn worker(plan: Arc<Plan>, id: u32) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let mut signer = Signer::new(
        plan.credentials.clone(),
        &plan.region,
        plan.operation.service(),
        &plan.host,
    );
    let mut conn: Option<Connection> = None;
    let mut seq: u64 = 0;
    loop {
        if Instant::now() >= plan.stop_at {
            break;
        }
        seq += 1;
        let request = build_request(&plan, &mut signer, plan.body(id, seq))?;
        // The latency runs from here: it includes opening a connection when the server closed
        // the last one (moto's does after every response), as any client would wait for it.
        let started = Instant::now();
        let reusable = match conn.take() {
            Some(mut c) => c.ready().await.is_ok().then_some(c),
            None => None,
        };
        let mut ready = match reusable {
            Some(c) => c,
            None => {
                let opened =
                    match tokio::time::timeout(plan.request_timeout, connect(plan.addr)).await {
                        Ok(result) => result,
                        Err(_) => Err(format!("no connection within {:?}", plan.request_timeout)),
                    };
                match opened {
                    Ok(c) => {
                        tally.connections += 1;
                        c
                    }
                    Err(e) if tally.connections == 0 => return Err(e),
                    Err(e) => {
                        if started >= plan.measure_from {
                            tally.transport_errors += 1;
                            tally.last_done = Some(Instant::now());
                        }
                        tally.note_error(started, e);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
            }
        };
        let outcome =
            tokio::time::timeout(plan.request_timeout, exchange(&mut ready, request)).await;
        let done = Instant::now();
        let counted = started >= plan.measure_from;
        match outcome {
            Ok(Ok((status, body))) => {
                conn = Some(ready);
                if counted {
                    tally.latency.record(
                        u64::try_from(done.duration_since(started).as_nanos()).unwrap_or(u64::MAX),
                    );
                    tally.last_done = Some(done);
                    if status == 200 {
                        tally.ok += 1;
                    } else {
                        *tally.by_status.entry(status).or_default() += 1;
                    }
                }
                if status != 200 {
                    let text = String::from_utf8_lossy(&body);
                    let text: String = text.chars().take(ERROR_BODY_LIMIT).collect();
                    tally.note_error(started, format!("HTTP {status}: {text}"));
                }
            }
            Ok(Err(e)) => {
                if counted {
                    tally.transport_errors += 1;
                    tally.last_done = Some(done);
                }
                tally.note_error(started, format!("transport: {e}"));
            }
            Err(_) => {
                if counted {
                    tally.timeouts += 1;
                    tally.last_done = Some(done);
                }
                tally.note_error(
                    started,
                    format!("no response within {:?}", plan.request_timeout),
                );
            }
        }
    }
    Ok(tally)
}

/// CPU time (user + system) of a process so far, from `/proc/PID/stat` (all its threads,
/// including those that have exited).
fn cpu_time(pid: &str, ticks_per_sec: f64) -> Result<Duration, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // Fields after the command name (which may hold spaces and parentheses): state is field 3;
    // utime and stime are fields 14 and 15.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{path}: unexpected format"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, String> {
        fields
            .get(n - 3)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{path}: no field {n}"))
    };
    let ticks = field(14)? + field(15)?;
    Ok(Duration::from_secs_f64(ticks as f64 / ticks_per_sec))
}

/// The kernel's clock ticks per second for /proc times (USER_HZ): `getconf CLK_TCK`, else 100
/// (its value on every common Linux architecture).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

#[derive(Debug, Serialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    max: f64,
    mean: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    operation: Operation,
    endpoint: String,
    concurrency: u32,
    threads: u32,
    signer: &'static str,
    warmup_s: f64,
    /// Measured seconds: from the end of the warm-up to the last counted response.
    duration_s: f64,
    /// Requests sent after the warm-up (all of them, errors included).
    requests: u64,
    ok: u64,
    errors: u64,
    /// Non-200 responses by HTTP status.
    errors_by_status: BTreeMap<u16, u64>,
    transport_errors: u64,
    timeouts: u64,
    /// Connections opened (more than the concurrency if the server closed some).
    connections: u64,
    throughput_rps: f64,
    /// Of every counted request, errors included; milliseconds.
    latency_ms: Latency,
    server_pid: Option<u32>,
    server_cpu_us_per_request: Option<f64>,
    /// The server's CPU use over the measured period, in cores (1.0 = one core busy).
    server_cpu_cores: Option<f64>,
    client_cpu_us_per_request: Option<f64>,
    first_error: Option<String>,
}

fn run(args: &Args) -> Result<Report, String> {
    if !(args.duration.is_finite() && args.duration > 0.0 && args.duration <= 86_400.0) {
        return Err("--duration must be a positive number of seconds (at most a day)".into());
    }
    if !(args.warmup.is_finite() && (0.0..=3600.0).contains(&args.warmup)) {
        return Err("--warmup must be 0 to 3600 seconds".into());
    }
    if !(args.request_timeout.is_finite()
        && args.request_timeout > 0.0
        && args.request_timeout <= 3600.0)
    {
        return Err("--request-timeout must be 0 to 3600 seconds".into());
    }
    let (host, addr) = parse_endpoint(&args.endpoint)?;
    let credentials = Credentials {
        access_key_id: args.access_key_id.clone(),
        secret_access_key: args.secret_access_key.clone(),
        session_token: args.session_token.clone().filter(|t| !t.is_empty()),
    };
    let fixed = fixed_body(args);
    // The fast signer must agree with the reference one before anything is sent.
    Signer::new(
        credentials.clone(),
        &args.region,
        args.operation.service(),
        &host,
    )
    .check_against_reference(
        &sign::amz_date(1_700_000_000),
        fixed
            .as_deref()
            .unwrap_or(b"Action=CreateUser&Version=2010-05-08&UserName=x"),
    )?;
    let server_pid = args.server_pid.map(|p| p.to_string());
    let ticks = clock_ticks();
    if let Some(pid) = &server_pid {
        cpu_time(pid, ticks)?;
    }
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000_000_000)
        .unwrap_or(0);

    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::try_from(args.threads).unwrap_or(1))
            .enable_all()
            .build()
    }
    .map_err(|e| format!("starting the runtime: {e}"))?;

    runtime.block_on(async {
        let start = Instant::now();
        let measure_from = start + Duration::from_secs_f64(args.warmup);
        let plan = Arc::new(Plan {
            addr,
            host,
            credentials,
            region: args.region.clone(),
            operation: args.operation,
            fixed_body: fixed,
            user_name_prefix: format!("{}-{run_id}", args.user_prefix),
            role_arn: args.role_arn.clone().unwrap_or_default(),
            role_session_name: args.role_session_name.clone(),
            measure_from,
            stop_at: measure_from + Duration::from_secs_f64(args.duration),
            request_timeout: Duration::from_secs_f64(args.request_timeout),
            reference_signer: args.reference_signer,
        });
        let workers: Vec<_> = (0..args.concurrency)
            .map(|id| tokio::spawn(worker(Arc::clone(&plan), id)))
            .collect();

        tokio::time::sleep_until(measure_from.into()).await;
        let cpu_before = match &server_pid {
            Some(pid) => Some(cpu_time(pid, ticks)?),
            None => None,
        };
        let self_before = cpu_time("self", ticks).ok();

        let mut tally = Tally::default();
        let mut failure = None;
        for handle in workers {
            match handle.await {
                Ok(Ok(t)) => tally.merge(t),
                Ok(Err(e)) => failure = Some(e),
                Err(e) => failure = Some(format!("a worker failed: {e}")),
            }
        }
        let finished = Instant::now();
        let cpu_after = match &server_pid {
            Some(pid) => Some(cpu_time(pid, ticks)?),
            None => None,
        };
        let self_after = cpu_time("self", ticks).ok();
        if let Some(e) = failure {
            if tally.latency.count() == 0 {
                return Err(e);
            }
            tally.note_error(finished, e);
        }

        let end = tally.last_done.unwrap_or(finished).max(measure_from);
        let elapsed = end.duration_since(measure_from).as_secs_f64();
        let wall = finished.duration_since(measure_from).as_secs_f64();
        let errors_http: u64 = tally.by_status.values().sum();
        let errors = errors_http + tally.transport_errors + tally.timeouts;
        let requests = tally.ok + errors;
        let per_request = |before: Option<Duration>, after: Option<Duration>| match (before, after)
        {
            (Some(b), Some(a)) if requests > 0 => {
                Some(a.saturating_sub(b).as_secs_f64() * 1e6 / requests as f64)
            }
            _ => None,
        };
        let ms = |nanos: u64| nanos as f64 / 1e6;
        let h = &tally.latency;
        Ok(Report {
            operation: args.operation,
            endpoint: args.endpoint.clone(),
            concurrency: args.concurrency,
            threads: args.threads,
            signer: if args.reference_signer {
                "castellan_sigv4::sign"
            } else {
                "cached-key"
            },
            warmup_s: args.warmup,
            duration_s: elapsed,
            requests,
            ok: tally.ok,
            errors,
            errors_by_status: tally.by_status.clone(),
            transport_errors: tally.transport_errors,
            timeouts: tally.timeouts,
            connections: tally.connections,
            throughput_rps: if elapsed > 0.0 {
                requests as f64 / elapsed
            } else {
                0.0
            },
            latency_ms: Latency {
                p50: ms(h.quantile(0.50)),
                p90: ms(h.quantile(0.90)),
                p99: ms(h.quantile(0.99)),
                p999: ms(h.quantile(0.999)),
                max: ms(h.max()),
                mean: h.mean() / 1e6,
            },
            server_pid: args.server_pid,
            server_cpu_us_per_request: per_request(cpu_before, cpu_after),
            server_cpu_cores: match (cpu_before, cpu_after) {
                (Some(b), Some(a)) if wall > 0.0 => Some(a.saturating_sub(b).as_secs_f64() / wall),
                _ => None,
            },
            client_cpu_us_per_request: per_request(self_before, self_after),
            first_error: tally.first_error.map(|(_, text)| text),
        })
    })
}

fn print_report(r: &Report) {
    let l = &r.latency_ms;
    println!("operation    {:?} → {}", r.operation, r.endpoint);
    println!(
        "load         {} connection(s), {} client thread(s), {:.1} s measured after {:.1} s warm-up, signer {}",
        r.concurrency, r.threads, r.duration_s, r.warmup_s, r.signer
    );
    println!(
        "requests     {} ({} ok, {} errors)",
        r.requests, r.ok, r.errors
    );
    if r.errors > 0 {
        let by_status: Vec<String> = r
            .errors_by_status
            .iter()
            .map(|(s, n)| format!("HTTP {s}: {n}"))
            .collect();
        println!(
            "errors       {}{}transport: {}, timeouts: {}",
            by_status.join(", "),
            if by_status.is_empty() { "" } else { ", " },
            r.transport_errors,
            r.timeouts
        );
    }
    println!("throughput   {:.1} req/s", r.throughput_rps);
    println!(
        "latency      p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms  (mean {:.3} ms)",
        l.p50, l.p90, l.p99, l.p999, l.max, l.mean
    );
    match (r.server_cpu_us_per_request, r.server_cpu_cores) {
        (Some(us), Some(cores)) => println!(
            "server CPU   {us:.1} µs/request ({cores:.2} cores busy; pid {})",
            r.server_pid.unwrap_or_default()
        ),
        _ => println!("server CPU   (give --server-pid PID to measure)"),
    }
    if let Some(us) = r.client_cpu_us_per_request {
        println!("client CPU   {us:.1} µs/request");
    }
    if r.connections > u64::from(r.concurrency) {
        println!(
            "connections  {} opened (the server closed some)",
            r.connections
        );
    }
    if let Some(e) = &r.first_error {
        println!("first error  {e}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let (host, addr) = parse_endpoint("http://127.0.0.1:4260").unwrap();
        assert_eq!(host, "127.0.0.1:4260");
        assert_eq!(addr.port(), 4260);
        let (host, addr) = parse_endpoint("http://127.0.0.1/").unwrap();
        assert_eq!(host, "127.0.0.1");
        assert_eq!(addr.port(), 80);
        assert!(parse_endpoint("https://127.0.0.1").is_err());
    }

    #[test]
    fn bodies() {
        let args = Args::parse_from([
            "x",
            "--access-key-id",
            "a",
            "--secret-access-key",
            "b",
            "--operation",
            "get-user",
            "--user-name",
            "bench user",
        ]);
        assert_eq!(
            fixed_body(&args).unwrap(),
            "Action=GetUser&Version=2010-05-08&UserName=bench+user"
        );
        let args = Args::parse_from([
            "x",
            "--access-key-id",
            "a",
            "--secret-access-key",
            "b",
            "--operation",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::123456789012:role/r",
        ]);
        assert!(fixed_body(&args).is_none());
        let missing = Args::try_parse_from([
            "x",
            "--access-key-id",
            "a",
            "--secret-access-key",
            "b",
            "--operation",
            "assume-role",
        ]);
        assert!(missing.is_err());
    }

    /// A stand-in server: HTTP/1.1 keep-alive, verifies every request's signature with
    /// castellan_sigv4 and answers 200, or 403 with the reason.
    fn signature_checking_server(secret: &'static str) -> SocketAddr {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let cache = Arc::new(castellan_sigv4::SigningKeyCache::new(16));
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let cache = Arc::clone(&cache);
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        loop {
                            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                                let mut chunk = [0u8; 4096];
                                match stream.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                                }
                                continue;
                            };
                            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
                            let mut lines = head.split("\r\n");
                            let _request_line = lines.next().unwrap();
                            let headers: Vec<(&str, &str)> = lines
                                .map(|l| l.split_once(':').map(|(k, v)| (k, v.trim())).unwrap())
                                .collect();
                            let length: usize = headers
                                .iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                                .map_or(0, |(_, v)| v.parse().unwrap());
                            while buf.len() < end + 4 + length {
                                let mut chunk = [0u8; 4096];
                                match stream.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                                }
                            }
                            let body = buf[end + 4..end + 4 + length].to_vec();
                            let req = castellan_sigv4::SignedRequest {
                                method: "POST",
                                path: "/",
                                query: "",
                                headers: &headers,
                                body: &body,
                            };
                            let now = i64::try_from(
                                std::time::SystemTime::now()
                                    .duration_since(std::time::UNIX_EPOCH)
                                    .unwrap()
                                    .as_secs(),
                            )
                            .unwrap();
                            let expected = castellan_sigv4::Expected {
                                service: "sts",
                                regions: &["us-east-1"],
                                max_skew_secs: 300,
                            };
                            let verdict = castellan_sigv4::parse(&req).and_then(|claim| {
                                castellan_sigv4::verify(
                                    &req, &claim, secret, now, &cache, &expected,
                                )
                            });
                            let response = match verdict {
                                Ok(()) => {
                                    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_owned()
                                }
                                Err(e) => {
                                    let m = e.message();
                                    format!(
                                        "HTTP/1.1 403 Forbidden\r\ncontent-length: {}\r\n\r\n{m}",
                                        m.len()
                                    )
                                }
                            };
                            stream.write_all(response.as_bytes()).await.unwrap();
                            buf.drain(..end + 4 + length);
                        }
                    });
                }
            });
        });
        addr
    }

    fn args_for(addr: SocketAddr, secret: &str) -> Args {
        Args::parse_from([
            "x".to_owned(),
            "--endpoint".to_owned(),
            format!("http://{addr}"),
            "--access-key-id".to_owned(),
            "AKIDEXAMPLE".to_owned(),
            "--secret-access-key".to_owned(),
            secret.to_owned(),
            "--operation".to_owned(),
            "assume-role".to_owned(),
            "--role-arn".to_owned(),
            "arn:aws:iam::123456789012:role/r".to_owned(),
            "--concurrency".to_owned(),
            "4".to_owned(),
            "--duration".to_owned(),
            "0.5".to_owned(),
            "--warmup".to_owned(),
            "0.1".to_owned(),
            "--server-pid".to_owned(),
            std::process::id().to_string(),
        ])
    }

    #[test]
    fn signs_every_request_and_stops_by_itself() {
        let addr = signature_checking_server("secret");
        // Returning at all is the behaviour: the run ends by itself after its --duration.
        let report = run(&args_for(addr, "secret")).unwrap();
        assert_eq!(report.errors, 0, "{:?}", report.first_error);
        assert!(report.ok > 10, "{report:?}");
        assert_eq!(report.connections, 4);
        assert!(report.latency_ms.p50 > 0.0 && report.latency_ms.p50 <= report.latency_ms.max);
        assert!(report.server_cpu_us_per_request.is_some());

        // A wrong secret: every request is refused, by status, with the server's reason kept.
        let report = run(&args_for(addr, "wrong")).unwrap();
        assert_eq!(report.ok, 0);
        assert_eq!(
            report.errors_by_status.get(&403).copied(),
            Some(report.requests)
        );
        assert!(report.first_error.unwrap().contains("HTTP 403"));
    }

    #[test]
    fn own_cpu_time_is_readable() {
        cpu_time("self", 100.0).unwrap();
    }
}
