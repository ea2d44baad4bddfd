//! A minimal HTTP(S) client on the server's own stack (hyper + tokio-rustls):
//! what `loki-metrics fetch` and the bindings' `scrape` use ([`fetch`]), and
//! what remote write posts with ([`post`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::tls::{client_config, ClientTrust};
use crate::FetchError;

/// Largest body [`fetch`] accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The `Accept` header, e.g. an OpenMetrics media type; none by default.
    pub accept: Option<String>,
    /// How an `https://` server's certificate is checked.
    pub trust: ClientTrust,
    /// Limit for the whole exchange, connecting included.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { token: None, accept: None, trust: ClientTrust::default(), timeout: Duration::from_secs(10) }
    }
}

/// A 200 answer.
#[derive(Debug, Clone)]
pub struct FetchResponse {
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: String,
}

/// `GET url` in a temporary single-threaded runtime (for synchronous callers).
pub fn fetch_blocking(url: &str, options: &FetchOptions) -> Result<FetchResponse, FetchError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Http { url: url.to_owned(), reason: format!("cannot start a runtime: {e}") })?;
    let result = rt.block_on(fetch(url, options));
    // Dropping the runtime would wait for its blocking tasks, such as a DNS
    // lookup the timeout gave up on: leave those to finish on their own.
    rt.shutdown_background();
    result
}

/// `GET url`; anything but a 200 with a UTF-8 body is an error.
pub async fn fetch(url: &str, options: &FetchOptions) -> Result<FetchResponse, FetchError> {
    match tokio::time::timeout(options.timeout, fetch_unbounded(url, options)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout { url: url.to_owned(), seconds: options.timeout.as_secs_f64() }),
    }
}

async fn fetch_unbounded(url: &str, options: &FetchOptions) -> Result<FetchResponse, FetchError> {
    check_headers(options)?;
    let mut headers = HeaderMap::new();
    if let Some(accept) = &options.accept {
        let value = HeaderValue::from_str(accept).map_err(|_| FetchError::InvalidHeader("bad Accept".to_owned()))?;
        headers.insert(header::ACCEPT, value);
    }
    if let Some(token) = &options.token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| FetchError::InvalidHeader("the token is not a valid header value".to_owned()))?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let response = send(url, Method::GET, headers, Empty::<Bytes>::new(), &options.trust).await?;
    if response.status != StatusCode::OK {
        let text = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned();
        return Err(FetchError::Status { url: url.to_owned(), status: response.status.as_u16(), body: text });
    }
    let body = String::from_utf8(response.body.to_vec()).map_err(|_| FetchError::NotText { url: url.to_owned() })?;
    Ok(FetchResponse { content_type: response.content_type(), body })
}

/// Any answer, whatever its status.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (at most [`MAX_BODY_BYTES`]).
    pub body: Bytes,
}

impl RawResponse {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<String> {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

/// `POST body` to `url` with `headers` (`Host` and `User-Agent` are added),
/// within `timeout`; any status is an answer, not an error.
pub async fn post(
    url: &str,
    headers: HeaderMap,
    body: Bytes,
    trust: &ClientTrust,
    timeout: Duration,
) -> Result<RawResponse, FetchError> {
    match tokio::time::timeout(timeout, send(url, Method::POST, headers, Full::new(body), trust)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout { url: url.to_owned(), seconds: timeout.as_secs_f64() }),
    }
}

/// Connects (TLS for `https://`) and exchanges one request.
async fn send<B>(
    url: &str,
    method: Method,
    headers: HeaderMap,
    body: B,
    trust: &ClientTrust,
) -> Result<RawResponse, FetchError>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let invalid = |reason: &str| FetchError::InvalidUrl { url: url.to_owned(), reason: reason.to_owned() };
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(invalid("the scheme must be http or https")),
    };
    let host = uri.host().ok_or_else(|| invalid("no host"))?;
    // `Uri::port_u16` is `None` for a port it cannot read (`:99999`), which
    // would silently mean the default port: refuse it instead.
    let host_port = uri.authority().map_or("", |a| a.as_str());
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, after)| after);
    let port = match host_port.rsplit_once(':').map(|(_, p)| p).filter(|p| !p.contains(']')) {
        None | Some("") => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) => p.parse::<u16>().map_err(|_| invalid("the port must be a number from 0 to 65535"))?,
    };
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare_host, port))
        .await
        .map_err(|source| FetchError::Connect { url: url.to_owned(), source })?;
    let _ = tcp.set_nodelay(true);
    let exchange = Exchange { uri: &uri, url, method, headers };
    if !https {
        return exchange.run(tcp, body).await;
    }
    let config = client_config(trust).map_err(|reason| FetchError::Tls { url: url.to_owned(), reason })?;
    let name = ServerName::try_from(bare_host.to_owned()).map_err(|_| invalid("bad host name"))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| FetchError::Tls { url: url.to_owned(), reason: e.to_string() })?;
    exchange.run(tls, body).await
}

/// Refuses, before connecting, a token or `Accept` value that no request
/// could carry (a newline, a control character, non-ASCII).
fn check_headers(options: &FetchOptions) -> Result<(), FetchError> {
    if let Some(accept) = &options.accept {
        if HeaderValue::from_str(accept).is_err() {
            return Err(FetchError::InvalidHeader(format!("the Accept value {accept:?} is not a valid header value")));
        }
    }
    if let Some(token) = &options.token {
        // The token itself stays out of the message: it is a secret.
        if token.is_empty() || HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
            return Err(FetchError::InvalidHeader(
                "the token must be non-empty printable ASCII (it is sent as a header value)".to_owned(),
            ));
        }
    }
    Ok(())
}

/// One request over a connected stream.
struct Exchange<'a> {
    uri: &'a Uri,
    url: &'a str,
    method: Method,
    headers: HeaderMap,
}

impl Exchange<'_> {
    async fn run<S, B>(self, stream: S, body: B) -> Result<RawResponse, FetchError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let url = self.url;
        let http_error = |reason: String| FetchError::Http { url: url.to_owned(), reason };
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| http_error(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let authority = self.uri.authority().map_or("", |a| a.as_str());
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = Request::builder()
            .method(self.method)
            .uri(path)
            .header(header::HOST, authority)
            .header(header::USER_AGENT, concat!("loki-metrics/", env!("CARGO_PKG_VERSION")));
        if let Some(headers) = request.headers_mut() {
            headers.extend(self.headers);
        }
        let request = request.body(body).map_err(|e| http_error(e.to_string()))?;
        let response = sender.send_request(request).await.map_err(|e| http_error(e.to_string()))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| http_error(format!("reading the body: {e}")))?
            .to_bytes();
        driver.abort();
        Ok(RawResponse { status: parts.status, headers: parts.headers, body })
    }
}
