//! Entry point for the HTTP fuzz target (feature `fuzzing`; not a stable API):
//! raw bytes from a client, through hyper's HTTP/1 parser and the exporter's
//! router, over an in-memory connection.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use loki_metrics::{Collector, Options};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::config::Limits;
use crate::routes::{router, AppState, Peer};

/// An exporter router on a single-threaded runtime, reused across inputs.
pub struct RequestHarness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

impl RequestHarness {
    /// An exporter of `loki_dir` with token `token`, as `serve` would build it.
    pub fn new(loki_dir: &std::path::Path, token: Option<&str>) -> Self {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime for fuzzing");
        let collector = Arc::new(Collector::new(Options::new(loki_dir), Duration::from_secs(3600)));
        let state = Arc::new(AppState::new(collector, token));
        let router = router(state, "/metrics", &Limits::default());
        RequestHarness { runtime, router }
    }

    /// Sends `request` as the client's bytes and returns what the server wrote
    /// back. Panics if the server misbehaves (a 5xx or no status line for a
    /// parsable request).
    pub fn handle(&self, request: &[u8]) -> Vec<u8> {
        let router = self.router.clone();
        self.runtime.block_on(async move {
            let (mut client, server) = tokio::io::duplex(64 * 1024);
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(Peer(([127, 0, 0, 1], 9).into()));
                let router = router.clone();
                async move { router.oneshot(req).await }
            });
            let connection = tokio::spawn(async move {
                let _ =
                    http1::Builder::new().max_buf_size(16 * 1024).serve_connection(TokioIo::new(server), service).await;
            });
            let _ = client.write_all(request).await;
            let _ = client.shutdown().await;
            let mut response = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut response)).await;
            connection.abort();
            if response.starts_with(b"HTTP/1.1 5") && !response.starts_with(b"HTTP/1.1 503") {
                panic!(
                    "server error for {:?}: {:?}",
                    String::from_utf8_lossy(request),
                    String::from_utf8_lossy(&response)
                );
            }
            response
        })
    }
}
