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

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::Notify;

/// How often, at most, making room is logged as a warning.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The exporter's open connections, at most `limit` of them.
pub(crate) struct ConnectionTable {
    limit: usize,
    state: Mutex<TableState>,
    /// Signalled whenever a connection's socket is dropped.
    left: Notify,
}

/// What [`ConnectionTable::admit`] decided.
pub(crate) enum Admit {
    /// Admitted.
    In(Admission),
    /// Full: a connection is being closed to make room; try again once one
    /// has left ([`ConnectionTable::left`]).
    Wait,
    /// Full, and every open connection is answering a request.
    Refused,
}

struct TableState {
    next_id: u64,
    /// Ticks at every admission and every answered request: lower is longer ago.
    clock: u64,
    open: HashMap<u64, Entry>,
    /// Connections whose socket is still held: `open` plus those closed to
    /// make room whose task has not dropped them yet.
    live: usize,
    /// The connections waiting for a request head, by the tick they started
    /// waiting at (ticks are unique): the first is the one to close.
    waiting: BTreeMap<u64, u64>,
    closed_to_make_room: u64,
    warned_at: Option<Instant>,
}

struct Entry {
    close: Arc<Notify>,
    /// Requests being answered; when 0, the key in `waiting`.
    answering: u32,
    waiting_since: u64,
}

/// A connection's place in the table; dropping it frees the place.
pub(crate) struct Admission {
    table: Arc<ConnectionTable>,
    id: u64,
    close: Arc<Notify>,
}

impl ConnectionTable {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(ConnectionTable {
            limit: limit.max(1),
            left: Notify::new(),
            state: Mutex::new(TableState {
                next_id: 0,
                clock: 0,
                open: HashMap::new(),
                live: 0,
                waiting: BTreeMap::new(),
                closed_to_make_room: 0,
                warned_at: None,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, TableState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection if fewer than `limit` sockets are held.
    /// Otherwise closes the connections waiting longest for a request (1/32
    /// of the limit, unless some are still closing) and says to wait until
    /// one has left, so the exporter never holds more than `limit` sockets
    /// (plus the one waiting to be admitted).
    pub(crate) fn admit(self: &Arc<Self>) -> Admit {
        let mut state = self.state();
        if state.live >= self.limit {
            if state.live > state.open.len() {
                return Admit::Wait;
            }
            if state.waiting.is_empty() {
                return Admit::Refused;
            }
            // A batch, so that the next admissions under a flood need not
            // each wait for a connection task to run.
            for _ in 0..(self.limit / 32).max(1) {
                let Some((_, victim)) = state.waiting.pop_first() else { break };
                if let Some(entry) = state.open.remove(&victim) {
                    entry.close.notify_one();
                }
                state.closed_to_make_room += 1;
            }
            let now = Instant::now();
            if state.warned_at.is_none_or(|at| now.duration_since(at) >= WARN_EVERY) {
                tracing::warn!(
                    limit = self.limit,
                    closed = state.closed_to_make_room,
                    "at the connection limit: closed the connections waiting longest for a request to admit new ones"
                );
                state.closed_to_make_room = 0;
                state.warned_at = Some(now);
            }
            return Admit::Wait;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.live += 1;
        let tick = state.tick();
        let close = Arc::new(Notify::new());
        state.open.insert(id, Entry { close: Arc::clone(&close), answering: 0, waiting_since: tick });
        state.waiting.insert(tick, id);
        Admit::In(Admission { table: Arc::clone(self), id, close })
    }

    /// Completes after a connection has left since the last call (or now).
    pub(crate) async fn left(&self) {
        self.left.notified().await;
    }

    /// How many connections are open.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.state().open.len()
    }
}

impl TableState {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

impl Admission {
    /// Completes when the table closes this connection to make room.
    pub(crate) async fn closed_to_make_room(&self) {
        self.close.notified().await;
    }

    /// Marks the connection as answering a request until the returned guard
    /// (kept in the response body) is dropped, i.e. the answer is written.
    pub(crate) fn answering(&self) -> Answering {
        let mut state = self.table.state();
        let state = &mut *state;
        // Not open any more: it was closed to make room as the request came.
        let counted = match state.open.get_mut(&self.id) {
            Some(entry) => {
                if entry.answering == 0 {
                    state.waiting.remove(&entry.waiting_since);
                }
                entry.answering += 1;
                true
            }
            None => false,
        };
        Answering { table: Arc::clone(&self.table), id: self.id, counted }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut state = self.table.state();
        state.live -= 1;
        // Already gone if it was closed to make room (ids are never reused).
        if let Some(entry) = state.open.remove(&self.id) {
            if entry.answering == 0 {
                state.waiting.remove(&entry.waiting_since);
            }
        }
        drop(state);
        self.table.left.notify_one();
    }
}

/// A request being answered on a connection.
pub(crate) struct Answering {
    table: Arc<ConnectionTable>,
    id: u64,
    counted: bool,
}

impl Answering {
    /// `body`, holding this guard until hyper has written it and drops it.
    pub(crate) fn hold_until_sent(self, body: Body) -> Body {
        Body::new(AnsweringBody { body, _answering: self })
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let mut state = self.table.state();
        let tick = state.tick();
        let state = &mut *state;
        if let Some(entry) = state.open.get_mut(&self.id) {
            entry.answering -= 1;
            if entry.answering == 0 {
                entry.waiting_since = tick;
                state.waiting.insert(tick, self.id);
            }
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

    fn admitted(table: &Arc<ConnectionTable>) -> Admission {
        match table.admit() {
            Admit::In(admission) => admission,
            Admit::Wait => panic!("told to wait"),
            Admit::Refused => panic!("refused"),
        }
    }

    fn closed(admission: &Admission) -> bool {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(50), admission.closed_to_make_room()).await.is_ok()
        })
    }

    #[test]
    fn below_the_limit_every_connection_is_admitted() {
        let table = ConnectionTable::new(3);
        let held: Vec<_> = (0..3).map(|_| admitted(&table)).collect();
        assert_eq!(table.open(), 3);
        drop(held);
        assert_eq!(table.open(), 0);
    }

    #[test]
    fn at_the_limit_the_connection_waiting_longest_is_closed_and_the_newcomer_waits_for_it_to_leave() {
        let table = ConnectionTable::new(2);
        let first = admitted(&table);
        let second = admitted(&table);
        assert!(matches!(table.admit(), Admit::Wait));
        assert!(closed(&first));
        assert!(!closed(&second));
        // Still held until its task drops it: no second victim meanwhile.
        assert!(matches!(table.admit(), Admit::Wait));
        assert!(!closed(&second));
        drop(first);
        let _third = admitted(&table);
        assert_eq!(table.open(), 2);
    }

    #[test]
    fn an_answered_request_makes_a_connection_the_most_recently_active() {
        let table = ConnectionTable::new(2);
        let first = admitted(&table);
        let second = admitted(&table);
        drop(first.answering());
        assert!(matches!(table.admit(), Admit::Wait));
        assert!(closed(&second));
        assert!(!closed(&first));
    }

    #[test]
    fn a_connection_answering_a_request_is_never_closed_to_make_room() {
        let table = ConnectionTable::new(2);
        let first = admitted(&table);
        let second = admitted(&table);
        let busy_first = first.answering();
        let busy_second = second.answering();
        assert!(matches!(table.admit(), Admit::Refused), "every connection is answering: the newcomer is refused");
        drop(busy_second);
        assert!(matches!(table.admit(), Admit::Wait), "the idle one makes room");
        assert!(closed(&second));
        assert!(!closed(&first));
        drop(busy_first);
    }
}
