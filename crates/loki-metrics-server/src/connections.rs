//! The open connections, and which one to close when there are too many.
//!
//! The accept loop never waits for room: a connection that cannot get in
//! would sit in the kernel's accept queue behind every idle or half-sent
//! connection until the header-read timeout freed a slot, so 10,000 idle
//! sockets would delay a scrape by tens of seconds. Instead, at the limit a
//! new connection closes the open one that has waited longest for a request
//! head (never sent one, sent half of one, or idle between keep-alive
//! requests): nginx reuses its idle keep-alive connections the same way when
//! it runs out. A connection answering a request is never closed; if every
//! open connection is, the new one is closed instead. Either way the
//! exporter holds at most `max_connections` connections and a client that
//! sends a request gets an answer, not a place in a queue.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::Notify;

/// Waiting for a request head (or in the TLS handshake): may be closed.
const WAITING: u8 = 0;
/// Answering a request: never closed to make room.
const ANSWERING: u8 = 1;
/// Chosen to make room; its task drops it.
const CLOSING: u8 = 2;

/// How often, at most, making room is logged as a warning.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The exporter's open connections, at most `limit` of them.
pub(crate) struct ConnectionTable {
    limit: usize,
    /// A clock that ticks at every admission and every answered request:
    /// lower means waiting longer.
    ticks: AtomicU64,
    state: Mutex<TableState>,
}

struct TableState {
    next_id: u64,
    open: HashMap<u64, Arc<Slot>>,
    closed_to_make_room: u64,
    warned_at: Option<Instant>,
}

/// One connection's entry.
pub(crate) struct Slot {
    phase: AtomicU8,
    /// The tick at which it last started waiting for a request head.
    waiting_since: AtomicU64,
    close: Notify,
}

/// A connection's place in the table; dropping it frees the place.
pub(crate) struct Admission {
    table: Arc<ConnectionTable>,
    id: u64,
    slot: Arc<Slot>,
}

impl ConnectionTable {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(ConnectionTable {
            limit: limit.max(1),
            ticks: AtomicU64::new(0),
            state: Mutex::new(TableState { next_id: 0, open: HashMap::new(), closed_to_make_room: 0, warned_at: None }),
        })
    }

    fn tick(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::Relaxed)
    }

    /// Admits a new connection, closing the longest-waiting one if the table
    /// is full. `None` when full and every open connection is answering.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Admission> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.open.len() >= self.limit {
            let victim = loop {
                let oldest = state
                    .open
                    .iter()
                    .filter(|(_, slot)| slot.phase.load(Ordering::Acquire) == WAITING)
                    .min_by_key(|(_, slot)| slot.waiting_since.load(Ordering::Acquire))
                    .map(|(id, slot)| (*id, Arc::clone(slot)));
                let (id, slot) = oldest?;
                // It may have just started answering a request: then leave it.
                if slot.phase.compare_exchange(WAITING, CLOSING, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    break (id, slot);
                }
            };
            state.open.remove(&victim.0);
            victim.1.close.notify_one();
            state.closed_to_make_room += 1;
            let now = Instant::now();
            if state.warned_at.map_or(true, |at| now.duration_since(at) >= WARN_EVERY) {
                tracing::warn!(
                    limit = self.limit,
                    closed = state.closed_to_make_room,
                    "at the connection limit: closed the connections waiting longest for a request to admit new ones"
                );
                state.closed_to_make_room = 0;
                state.warned_at = Some(now);
            }
        }
        let id = state.next_id;
        state.next_id += 1;
        let slot = Arc::new(Slot {
            phase: AtomicU8::new(WAITING),
            waiting_since: AtomicU64::new(self.tick()),
            close: Notify::new(),
        });
        state.open.insert(id, Arc::clone(&slot));
        Some(Admission { table: Arc::clone(self), id, slot })
    }

    /// How many connections are open.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).open.len()
    }
}

impl Admission {
    /// Completes when the table closes this connection to make room.
    pub(crate) async fn closed_to_make_room(&self) {
        self.slot.close.notified().await;
    }

    /// Marks the connection as answering a request until the returned guard
    /// (kept in the response body) is dropped, i.e. the answer is written.
    pub(crate) fn answering(&self) -> Answering {
        let started = self.slot.phase.compare_exchange(WAITING, ANSWERING, Ordering::AcqRel, Ordering::Acquire).is_ok();
        Answering { table: Arc::clone(&self.table), slot: started.then(|| Arc::clone(&self.slot)) }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut state = self.table.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Already gone if it was closed to make room (and the id is never reused).
        state.open.remove(&self.id);
    }
}

/// A request being answered on a connection.
pub(crate) struct Answering {
    table: Arc<ConnectionTable>,
    /// `None` if the connection was already closing when the request arrived.
    slot: Option<Arc<Slot>>,
}

impl Answering {
    /// `body`, holding this guard until hyper has written it and drops it.
    pub(crate) fn hold_until_sent(self, body: Body) -> Body {
        Body::new(AnsweringBody { body, _answering: self })
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            slot.waiting_since.store(self.table.tick(), Ordering::Release);
            slot.phase.store(WAITING, Ordering::Release);
        }
    }
}

struct AnsweringBody {
    body: Body,
    _answering: Answering,
}

impl hyper::body::Body for AnsweringBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_limit_every_connection_is_admitted() {
        let table = ConnectionTable::new(3);
        let held: Vec<_> = (0..3).map(|_| table.admit().expect("room")).collect();
        assert_eq!(table.open(), 3);
        drop(held);
        assert_eq!(table.open(), 0);
    }

    #[test]
    fn at_the_limit_the_connection_waiting_longest_is_closed() {
        let table = ConnectionTable::new(2);
        let first = table.admit().expect("room");
        let second = table.admit().expect("room");
        let _third = table.admit().expect("room made");
        assert_eq!(table.open(), 2);
        let closed = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        closed.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), first.closed_to_make_room()).await.expect("first closed");
            assert!(tokio::time::timeout(Duration::from_millis(50), second.closed_to_make_room()).await.is_err());
        });
    }

    #[test]
    fn an_answered_request_makes_a_connection_the_most_recently_active() {
        let table = ConnectionTable::new(2);
        let first = table.admit().expect("room");
        let second = table.admit().expect("room");
        drop(first.answering());
        let _third = table.admit().expect("room made");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), second.closed_to_make_room()).await.expect("second closed");
            assert!(tokio::time::timeout(Duration::from_millis(50), first.closed_to_make_room()).await.is_err());
        });
    }

    #[test]
    fn a_connection_answering_a_request_is_never_closed_to_make_room() {
        let table = ConnectionTable::new(2);
        let first = table.admit().expect("room");
        let second = table.admit().expect("room");
        let busy_first = first.answering();
        let busy_second = second.answering();
        assert!(table.admit().is_none(), "every connection is answering: the newcomer is refused");
        drop(busy_second);
        assert!(table.admit().is_some(), "the idle one makes room");
        drop(busy_first);
    }
}
