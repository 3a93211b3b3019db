//! Connections: the accept loop, the cap on open connections, and the timeouts that keep an
//! unauthenticated client from holding a socket for free.
//!
//! Every connection is in one of three phases, tracked by [`Activity`]:
//! - awaiting a request head — from accept, or from the first byte after an idle spell: the
//!   whole head must arrive within the header timeout;
//! - handling a request — from the head's end until the response is produced: the handler
//!   bounds the body read by the body timeout ([`crate::read_body`]);
//! - idle between keep-alive requests: closed after the idle timeout.
//!
//! A connection past its phase's deadline is closed without an answer (a client that sends
//! nothing or half a head gets nothing back, as from any HTTP server). When the cap on open
//! connections is reached, a new connection first makes room: the connection that has waited
//! longest without a request in hand (idle, or awaiting its head) is closed, so slots held by
//! clients that send nothing are taken back by clients that do. Only when every slot is
//! handling a request is the new one answered `503 ServiceUnavailable` in AWS's error envelope
//! and closed; it never waits in the kernel's backlog.
//!
//! At shutdown the listener closes, connections awaiting a request head are closed, and a
//! request being handled is answered before its connection closes.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::Config;
use tokio_rustls::TlsAcceptor;

/// File descriptors kept free below the process's limit when capping connections: the
/// listener, the store's files, standard streams, connections being refused, and slack.
const RESERVED_FDS: u64 = 128;

/// Refused connections being answered at once; beyond this a refused connection is dropped
/// without an answer (each answer holds a descriptor for up to [`REFUSE_LINGER`]).
const MAX_REFUSING: usize = 64;

/// How long a refused connection is read (and discarded) after its 503, so that closing it
/// does not reset the connection before the client has read the answer.
const REFUSE_LINGER: Duration = Duration::from_secs(1);

/// How long a connection over the cap waits for a slot (the one it asked to close, or any
/// other that closes meanwhile) before it is refused.
const EVICT_WAIT: Duration = Duration::from_secs(1);

/// How long a connection must have waited without a request in hand before it may be closed
/// to make room: a client that just connected is still sending its request head.
const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// The open connections, so that one over the cap can close the one that has waited longest
/// without a request in hand.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(self: &Arc<Self>, activity: Arc<Activity>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, activity);
        Registered { registry: Arc::clone(self), id }
    }

    /// Asks the connection idle (or awaiting a head) the longest, for at least
    /// [`EVICTABLE_AFTER`], to close. False when there is none.
    fn evict_longest_waiting(&self) -> bool {
        let live = self.lock();
        let now = Instant::now();
        let victim = live
            .values()
            .filter(|a| !a.evict.load(Ordering::Relaxed) && a.phase.load(Ordering::Relaxed) != HANDLING)
            .filter(|a| a.phase_began() + EVICTABLE_AFTER <= now)
            .min_by_key(|a| a.phase_began());
        match victim {
            Some(a) => {
                a.evict.store(true, Ordering::Relaxed);
                a.wake.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// The connection cap actually applied: `requested`, but never more than the process's
/// open-file limit leaves room for (read from `/proc/self/limits` where there is one).
pub(crate) fn connection_cap(requested: usize) -> usize {
    let Some(limit) = open_file_limit() else {
        return requested.max(1);
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX).max(1);
    if requested > room {
        tracing::info!(requested, open_file_limit = limit, applied = room, "connection cap lowered to fit the open-file limit");
    }
    requested.min(room).max(1)
}

/// The soft limit on open files (`Max open files` in `/proc/self/limits`), if known.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
}

/// Accepts connections until `shutdown` completes, then lets open ones finish (idle ones
/// close at once) and returns when all are closed.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    config: Config,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let cap = connection_cap(config.max_connections);
    let open = Arc::new(Semaphore::new(cap));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let registry = Arc::new(Registry::default());
    let (stop, stopped) = watch::channel(());
    let service = TowerToHyperService::new(router);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // The peer gave up before we accepted: nothing to do.
            Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => continue,
            // Out of descriptors (EMFILE/ENFILE) or the like: wait for some to close.
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Responses are small: send each at once rather than waiting to coalesce.
        let _ = stream.set_nodelay(true);
        match Arc::clone(&open).try_acquire_owned() {
            Ok(permit) => {
                let connection =
                    Connection { service: service.clone(), peer, config, permit, registry: Arc::clone(&registry), tls: tls.clone() };
                tokio::spawn(connection.run(stream, stopped.clone()));
            }
            // Full: close the connection that has waited longest without a request and take
            // its slot; if every connection is handling a request, refuse.
            Err(_) => match Arc::clone(&refusing).try_acquire_owned() {
                Ok(refusal) => {
                    let (open, registry, service, stopped, tls) =
                        (Arc::clone(&open), Arc::clone(&registry), service.clone(), stopped.clone(), tls.clone());
                    tokio::spawn(async move {
                        let evicted = registry.evict_longest_waiting();
                        tracing::debug!(%peer, evicted, "at the connection cap: making room");
                        // A slot may also free up by itself (a connection closing just now).
                        if let Ok(Ok(permit)) = tokio::time::timeout(EVICT_WAIT, open.acquire_owned()).await {
                            drop(refusal);
                            let connection = Connection { service, peer, config, permit, registry, tls };
                            return connection.run(stream, stopped).await;
                        }
                        match tls {
                            None => refuse(stream, refusal).await,
                            // The answer goes over TLS: the client speaks nothing else.
                            Some(acceptor) => {
                                if let Ok(Ok(stream)) = tokio::time::timeout(REFUSE_LINGER, acceptor.accept(stream)).await {
                                    refuse(stream, refusal).await;
                                }
                            }
                        }
                    });
                }
                Err(_) => drop(stream),
            },
        }
    }
    drop(listener);
    // Ask every connection to finish (idle ones close now), then wait for them.
    let _ = stop.send(());
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = open.acquire_many(all).await;
    Ok(())
}

/// Answers a connection over the cap with a 503 in AWS's error envelope and closes it.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, _permit: OwnedSemaphorePermit) {
    let request_id = castellan_iam::request_id();
    let xml = crate::error_xml(
        castellan_api::Service::Iam,
        "ServiceUnavailable",
        503,
        crate::SERVICE_UNAVAILABLE_MESSAGE,
        &request_id,
    );
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/xml\r\nx-amzn-requestid: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        xml.len()
    );
    let answer = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(xml.as_bytes()).await?;
        stream.shutdown().await?;
        // Discard what the client sent until it closes, so that closing does not reset
        // the connection (and the answer with it) while its request is unread.
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(REFUSE_LINGER, answer).await;
}

/// One accepted connection within the cap.
struct Connection {
    service: TowerToHyperService<Router>,
    peer: SocketAddr,
    config: Config,
    /// Returned to the cap when the connection closes.
    permit: OwnedSemaphorePermit,
    registry: Arc<Registry>,
    /// Set when the server speaks HTTPS.
    tls: Option<TlsAcceptor>,
}

impl Connection {
    /// Serves HTTP/1.1 requests (after the TLS handshake, when the server speaks HTTPS) until
    /// the client closes, a phase deadline passes, or the server shuts down.
    async fn run(self, stream: TcpStream, mut stopped: watch::Receiver<()>) {
        let Self { service, peer, config, permit: _permit, registry, tls } = self;
        let activity = Arc::new(Activity::new());
        let _registered = registry.add(Arc::clone(&activity));
        let Some(acceptor) = tls else {
            return serve_connection(stream, false, service, peer, config, &activity, stopped).await;
        };
        // The handshake is part of awaiting the request head: bounded by the header timeout,
        // and a connection still in it may be closed to make room, or at shutdown.
        let handshake = tokio::time::timeout(config.header_read_timeout, acceptor.accept(stream));
        let evicted = activity.wake.notified();
        tokio::select! {
            done = handshake => match done {
                Ok(Ok(stream)) => serve_connection(stream, true, service, peer, config, &activity, stopped).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "closing a connection whose TLS handshake did not finish in time"),
            },
            () = evicted => tracing::debug!(%peer, "closing a connection in its TLS handshake to make room"),
            _ = stopped.changed() => {}
        }
    }
}

/// Serves HTTP/1.1 on one connection's byte stream (plain TCP, or TLS over it).
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    secure: bool,
    service: TowerToHyperService<Router>,
    peer: SocketAddr,
    config: Config,
    activity: &Arc<Activity>,
    mut stopped: watch::Receiver<()>,
) {
    let mut evicted = pin!(activity.wake.notified());
    let mut woken = false;
    let io = TokioIo::new(WatchedIo { inner: stream, activity: Arc::clone(activity) });
    let service = WatchedService { inner: service, peer, secure, activity: Arc::clone(activity) };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header deadline is ours (it must not also run while a connection is idle).
    builder.keep_alive(true).header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut stop = pin!(async move {
        let _ = stopped.changed().await;
    });
    let mut stopping = false;
    let mut deadline = pin!(tokio::time::sleep_until((Instant::now() + config.header_read_timeout).into()));
    std::future::poll_fn(|cx| {
        if !stopping && stop.as_mut().poll(cx).is_ready() {
            stopping = true;
            conn.as_mut().graceful_shutdown();
        }
        if conn.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        // Shutting down: a request not yet (fully) received is not waited for.
        if stopping && activity.phase.load(Ordering::Relaxed) == AWAITING_HEAD {
            return Poll::Ready(());
        }
        // Asked to make room for a new connection: close once no request is in hand.
        if !woken && evicted.as_mut().poll(cx).is_ready() {
            woken = true;
        }
        if activity.evict.load(Ordering::Relaxed) && activity.phase.load(Ordering::Relaxed) != HANDLING {
            tracing::debug!(%peer, phase = activity.phase_name(), "closing a waiting connection to make room");
            return Poll::Ready(());
        }
        // The phase may have changed while the connection ran: follow its deadline.
        let Some(due) = activity.deadline(&config).map(tokio::time::Instant::from) else {
            return Poll::Pending;
        };
        if deadline.deadline() != due {
            deadline.as_mut().reset(due);
        }
        if deadline.as_mut().poll(cx).is_ready() {
            tracing::debug!(%peer, phase = activity.phase_name(), "closing a connection past its deadline");
            return Poll::Ready(());
        }
        Poll::Pending
    })
    .await;
}

/// Awaiting a request head (since accept, or since its first byte).
const AWAITING_HEAD: u8 = 0;
/// A request is being handled: its body is read under the body timeout.
const HANDLING: u8 = 1;
/// Between keep-alive requests.
const IDLE: u8 = 2;

/// A connection's phase and when it began, shared by the socket, the service and the
/// deadline. All three run in the connection's one task; atomics make them `Send`.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `opened`.
    since_ms: AtomicU64,
    /// Asked to close (to make room) as soon as no request is in hand.
    evict: AtomicBool,
    wake: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            phase: AtomicU8::new(AWAITING_HEAD),
            since_ms: AtomicU64::new(0),
            evict: AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    /// When the current phase began.
    fn phase_began(&self) -> Instant {
        self.opened + Duration::from_millis(self.since_ms.load(Ordering::Relaxed))
    }

    fn enter(&self, phase: u8) {
        let since = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(since, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// When the connection is to be closed if its phase does not change first. None while a
    /// request is handled: the handler bounds its body read, and a response being produced
    /// is not cut off.
    fn deadline(&self, config: &Config) -> Option<Instant> {
        let since = self.opened + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        match self.phase.load(Ordering::Relaxed) {
            AWAITING_HEAD => Some(since + config.header_read_timeout),
            IDLE => Some(since + config.idle_timeout),
            _ => None,
        }
    }

    fn phase_name(&self) -> &'static str {
        match self.phase.load(Ordering::Relaxed) {
            AWAITING_HEAD => "awaiting a request head",
            IDLE => "idle",
            _ => "handling a request",
        }
    }
}

/// The socket, noting the first byte of a request that arrives on an idle connection.
struct WatchedIo<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && self.activity.phase.load(Ordering::Relaxed) == IDLE {
            self.activity.enter(AWAITING_HEAD);
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router, marking when a request is being handled and giving it the peer's address.
#[derive(Clone)]
struct WatchedService {
    inner: TowerToHyperService<Router>,
    peer: SocketAddr,
    /// The connection is TLS (`aws:SecureTransport`).
    secure: bool,
    activity: Arc<Activity>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for WatchedService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request.extensions_mut().insert(crate::tls::Secure(self.secure));
        self.activity.enter(HANDLING);
        let response = self.inner.call(request);
        let activity = Arc::clone(&self.activity);
        Box::pin(async move {
            let response = response.await;
            // Produced: writing it, and waiting for the next request, is idle time.
            activity.enter(IDLE);
            response
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn connection_cap_fits_the_open_file_limit() {
        assert_eq!(connection_cap(4), 4);
        assert!(connection_cap(usize::MAX) < usize::MAX, "the open-file limit bounds the cap");
        assert_eq!(connection_cap(0), 1);
    }

    #[test]
    fn each_phase_has_its_own_deadline() {
        let config = Config::default();
        let activity = Activity::new();
        let head = activity.deadline(&config).unwrap();
        assert_eq!(head, activity.opened + config.header_read_timeout);
        activity.enter(HANDLING);
        assert_eq!(activity.deadline(&config), None);
        activity.enter(IDLE);
        let idle = activity.deadline(&config).unwrap();
        assert!(idle >= activity.opened + config.idle_timeout);
        activity.enter(AWAITING_HEAD);
        assert!(activity.deadline(&config).unwrap() < idle);
    }
}
