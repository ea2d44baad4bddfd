//! Starting the `loki-metrics` binary from the tests that run it as a
//! process: with none of the variables it reads from the caller's
//! environment, and stopped as Ctrl-C would stop it.

use std::process::{Child, Command};

/// The binary with no `LOKI_*` variable it reads inherited.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loki-metrics"));
    for name in [
        "LOKI_DIR",
        "LOKI_MAX_ITERATIONS",
        "LOKI_BUDGET_LIMIT",
        "LOKI_METRICS_EXPORTER_METRICS",
        "LOKI_METRICS_HOST",
        "LOKI_METRICS_PORT",
        "LOKI_METRICS_PATH",
        "LOKI_METRICS_CACHE_TTL",
        "LOKI_METRICS_LOG",
        "LOKI_METRICS_TOKEN",
        "LOKI_METRICS_STALE_AFTER",
    ] {
        c.env_remove(name);
    }
    c
}

/// A started `serve` or `demo`, stopped with SIGTERM when dropped (`demo`
/// then removes its directory).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: plain kill(2) on the child this test spawned.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.0.wait();
    }
}
