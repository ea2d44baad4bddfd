//! A minimal HTTP(S) client on the server's own stack (hyper + tokio-rustls):
//! what `loki-metrics fetch` and the bindings' `scrape` use.

use std::sync::Arc;
use std::time::Duration;

use http::{header, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};
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
    check_headers(options)?;
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((bare_host, port))
        .await
        .map_err(|source| FetchError::Connect { url: url.to_owned(), source })?;
    let _ = tcp.set_nodelay(true);
    if !https {
        return exchange(tcp, &uri, url, options).await;
    }
    let config = client_config(&options.trust).map_err(|reason| FetchError::Tls { url: url.to_owned(), reason })?;
    let name = ServerName::try_from(bare_host.to_owned()).map_err(|_| invalid("bad host name"))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| FetchError::Tls { url: url.to_owned(), reason: e.to_string() })?;
    exchange(tls, &uri, url, options).await
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

async fn exchange<S>(stream: S, uri: &Uri, url: &str, options: &FetchOptions) -> Result<FetchResponse, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http_error = |reason: String| FetchError::Http { url: url.to_owned(), reason };
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| http_error(e.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let authority = uri.authority().map_or("", |a| a.as_str());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::HOST, authority)
        .header(header::USER_AGENT, concat!("loki-metrics/", env!("CARGO_PKG_VERSION")));
    if let Some(accept) = &options.accept {
        request = request.header(header::ACCEPT, accept);
    }
    if let Some(token) = &options.token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| http_error("the token is not a valid header value".to_owned()))?;
        request = request.header(header::AUTHORIZATION, value);
    }
    let request = request.body(Empty::<bytes::Bytes>::new()).map_err(|e| http_error(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(|e| http_error(e.to_string()))?;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| http_error(format!("reading the body: {e}")))?
        .to_bytes();
    driver.abort();
    if status != http::StatusCode::OK {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16(), body: text });
    }
    let body = String::from_utf8(body.to_vec()).map_err(|_| FetchError::NotText { url: url.to_owned() })?;
    Ok(FetchResponse { content_type, body })
}
