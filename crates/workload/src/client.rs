//! A minimal SigV4-signing client of a Castellan server's IAM endpoint: one `POST /` form
//! request per call, over plain HTTP (what Castellan serves), its answer read whole (at most
//! 1 MiB) and its elements picked out by name.

use std::time::Duration;

use castellan_sigv4::{Credential, SignedRequest};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// What botocore sends.
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const MAX_RESPONSE: usize = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);

/// Static credentials: an access key, or temporary ones with their session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// A failed call: the server's AWS error, or no answer at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    Aws { status: u16, code: String, message: String },
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Aws { code, message, .. } => write!(f, "{code}: {message}"),
            Self::Transport(m) => write!(f, "{m}"),
        }
    }
}

/// The server: `http://HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    host: String,
    port: u16,
    host_header: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim().trim_end_matches('/');
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("endpoint {url}: only http:// endpoints are supported (Castellan serves plain HTTP)")
        })?;
        if rest.is_empty() || rest.contains('/') || rest.contains('@') {
            return Err(format!("endpoint {url}: expected http://HOST[:PORT]"));
        }
        let bad_port = || format!("endpoint {url}: bad port");
        let (host, port) = match rest.strip_prefix('[') {
            // [IPv6]:PORT or [IPv6]
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or_else(|| format!("endpoint {url}: unclosed ["))?;
                let port = match after.strip_prefix(':') {
                    Some(p) => p.parse::<u16>().map_err(|_| bad_port())?,
                    None if after.is_empty() => 80,
                    None => return Err(bad_port()),
                };
                (host.to_owned(), port)
            }
            None => match rest.split_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse::<u16>().map_err(|_| bad_port())?),
                None => (rest.to_owned(), 80),
            },
        };
        Ok(Endpoint { url: url.to_owned(), host, port, host_header: rest.to_owned() })
    }
}

/// Signs and sends requests to one server for one identity.
#[derive(Debug, Clone)]
pub struct Client {
    pub endpoint: Endpoint,
    pub region: String,
    credentials: Credentials,
}

/// An answer's body, with its elements to pick out.
#[derive(Debug, Clone)]
pub struct Answer(pub String);

impl Answer {
    /// The text of the first `<name>…</name>`, unescaped.
    pub fn element(&self, name: &str) -> Option<String> {
        element(&self.0, name)
    }
}

fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml.get(start..)?.find(&format!("</{name}>"))?;
    let raw = xml.get(start..start + len)?;
    Some(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&"))
}

impl Client {
    pub fn new(endpoint: Endpoint, region: String, credentials: Credentials) -> Client {
        Client { endpoint, region, credentials }
    }

    /// Calls the IAM action `action` with `params`.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<Answer, CallError> {
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("Action", action).append_pair("Version", "2010-05-08");
            for (k, v) in params {
                form.append_pair(k, v);
            }
            form.finish()
        };
        let request = self.signed(&body)?;
        let send = async {
            let mut stream = tokio::net::TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port)).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut out = Vec::new();
            (&mut stream).take(MAX_RESPONSE as u64 + 1).read_to_end(&mut out).await?;
            Ok::<_, std::io::Error>(out)
        };
        let raw = tokio::time::timeout(TIMEOUT, send)
            .await
            .map_err(|_| CallError::Transport(format!("{}: no answer within {}s", self.endpoint.url, TIMEOUT.as_secs())))?
            .map_err(|e| CallError::Transport(format!("{}: {e}", self.endpoint.url)))?;
        if raw.len() > MAX_RESPONSE {
            return Err(CallError::Transport(format!("{}: answer too large", self.endpoint.url)));
        }
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| CallError::Transport("malformed HTTP answer".into()))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| CallError::Transport("malformed HTTP status line".into()))?;
        if status == 200 {
            return Ok(Answer(body.to_owned()));
        }
        Err(CallError::Aws {
            status,
            code: element(body, "Code").unwrap_or_else(|| format!("HTTP {status}")),
            message: element(body, "Message").unwrap_or_default(),
        })
    }

    /// The whole HTTP request, signed.
    fn signed(&self, body: &str) -> Result<String, CallError> {
        let now = castellan_api::Timestamp::from_system_time(std::time::SystemTime::now()).to_aws_string();
        let amz_date: String = now.chars().filter(|c| *c != '-' && *c != ':').collect();
        let date = amz_date.get(..8).unwrap_or_default().to_owned();
        let c = &self.credentials;
        let mut headers: Vec<(&str, &str)> = vec![("content-type", CONTENT_TYPE), ("host", &self.endpoint.host_header), ("x-amz-date", &amz_date)];
        let mut signed_headers = "content-type;host;x-amz-date".to_owned();
        if let Some(t) = &c.session_token {
            headers.push(("x-amz-security-token", t));
            signed_headers.push_str(";x-amz-security-token");
        }
        let req = SignedRequest { method: "POST", path: "/", query: "", headers: &headers, body: body.as_bytes() };
        let credential = Credential { access_key_id: c.access_key_id.clone(), date: date.clone(), region: self.region.clone(), service: "iam".into() };
        let signature = castellan_sigv4::sign(&req, &credential, &amz_date, &signed_headers, &c.secret_access_key)
            .map_err(|e| CallError::Transport(format!("cannot sign: {}", e.message())))?;
        let mut out = format!("POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: {CONTENT_TYPE}\r\nX-Amz-Date: {amz_date}\r\n", self.endpoint.host_header);
        if let Some(t) = &c.session_token {
            out.push_str(&format!("X-Amz-Security-Token: {t}\r\n"));
        }
        out.push_str(&format!(
            "Authorization: AWS4-HMAC-SHA256 Credential={}/{date}/{}/iam/aws4_request, SignedHeaders={signed_headers}, Signature={signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            c.access_key_id,
            self.region,
            body.len()
        ));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn endpoints_are_plain_http_host_and_port() {
        let e = Endpoint::parse("http://127.0.0.1:4260/").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.host_header.as_str()), ("127.0.0.1", 4260, "127.0.0.1:4260"));
        assert_eq!(Endpoint::parse("http://iam.internal").unwrap().port, 80);
        assert!(Endpoint::parse("https://iam.amazonaws.com").is_err());
        assert!(Endpoint::parse("http://user@host:1").is_err());
        let v6 = Endpoint::parse("http://[::1]:4260").unwrap();
        assert_eq!((v6.host.as_str(), v6.port, v6.host_header.as_str()), ("::1", 4260, "[::1]:4260"));
        assert_eq!(Endpoint::parse("http://[::1]").unwrap().port, 80);
        assert!(Endpoint::parse("http://[::1]x").is_err());
        assert!(Endpoint::parse("http://host:99999").is_err());
    }

    #[test]
    fn elements_are_unescaped() {
        assert_eq!(element("<A><B>x &amp; &lt;y&gt;</B></A>", "B").as_deref(), Some("x & <y>"));
        assert_eq!(element("<A></A>", "B"), None);
    }
}
