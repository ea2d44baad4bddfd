//! `Collector`: single flight across threads and exact incremental counts.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use loki_metrics::{Collector, Options};

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open events.jsonl");
    f.write_all(text.as_bytes()).expect("append");
}

fn uncached(dir: &Path) -> Collector {
    Collector::new(Options::new(dir), Duration::ZERO)
}

#[test]
fn concurrent_callers_share_one_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Big enough that the first collection is still running when the others arrive.
    let line = "{\"type\":\"task_completed\",\"payload\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n";
    std::fs::write(dir.path().join("events.jsonl"), line.repeat(200_000)).expect("write");
    let collector = Arc::new(Collector::new(Options::new(dir.path()), Duration::from_secs(3600)));
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let collector = Arc::clone(&collector);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                collector.collect().events_total()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), 200_000);
    }
    assert_eq!(collector.collections(), 1);
}

#[test]
fn concurrent_callers_with_zero_ttl_share_a_running_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = "{\"type\":\"x\",\"payload\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n";
    std::fs::write(dir.path().join("events.jsonl"), line.repeat(400_000)).expect("write");
    let collector = Arc::new(uncached(dir.path()));
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let collector = Arc::clone(&collector);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                collector.collect().events_total()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread"), 400_000);
    }
    // Each caller either ran a collection or shared one that was running, so
    // fewer than one per caller ran: at most one starts after another ends.
    assert!(collector.collections() < threads as u64, "{} collections for {threads} callers", collector.collections());
}

#[test]
fn appended_partial_lines_are_counted_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let c = uncached(dir.path());
    append(&events, "{\"a\":1}\n{\"b\"");
    assert_eq!(c.collect().events_total(), 2, "a non-blank partial line counts");
    append(&events, ":2}");
    assert_eq!(c.collect().events_total(), 2, "still the same line");
    append(&events, "\n");
    assert_eq!(c.collect().events_total(), 2, "its newline adds nothing");
    append(&events, "   \n\n{\"c\":3}\n  ");
    assert_eq!(c.collect().events_total(), 3, "blank lines and a blank tail add nothing");
    append(&events, "{\"d\":4}\n");
    assert_eq!(c.collect().events_total(), 4, "a blank tail completed with content counts once");
}

#[test]
fn a_blank_partial_tail_that_gains_content_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let c = uncached(dir.path());
    append(&events, "{}\n  ");
    assert_eq!(c.collect().events_total(), 1);
    append(&events, "x");
    assert_eq!(c.collect().events_total(), 2);
    append(&events, "y\n");
    assert_eq!(c.collect().events_total(), 2);
}

#[test]
fn a_truncated_file_is_recounted_from_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let c = uncached(dir.path());
    append(&events, &"{}\n".repeat(10));
    assert_eq!(c.collect().events_total(), 10);
    std::fs::OpenOptions::new().write(true).truncate(true).open(&events).expect("truncate");
    assert_eq!(c.collect().events_total(), 0);
    append(&events, "{}\n{}\n{}\n");
    assert_eq!(c.collect().events_total(), 3);
}

#[test]
fn a_file_replaced_by_rename_is_recounted_even_when_it_is_larger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let c = uncached(dir.path());
    append(&events, "{}\n{}\n");
    assert_eq!(c.collect().events_total(), 2);
    // Same prefix, more lines, a different inode: the offset must not be reused.
    let tmp = dir.path().join("events.jsonl.tmp");
    std::fs::write(&tmp, "\n\n\n{}\n{}\n{}\n{}\n{}\n").expect("write");
    std::fs::rename(&tmp, &events).expect("rename");
    assert_eq!(c.collect().events_total(), 5);
}

#[test]
fn a_deleted_file_counts_zero_and_a_recreated_one_counts_afresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let c = uncached(dir.path());
    append(&events, "{}\n{}\n");
    assert_eq!(c.collect().events_total(), 2);
    std::fs::remove_file(&events).expect("remove");
    assert_eq!(c.collect().events_total(), 0);
    append(&events, "{}\n");
    assert_eq!(c.collect().events_total(), 1);
}

#[test]
fn a_changed_efficiency_record_is_reread_and_a_removed_one_subtracted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let eff = dir.path().join("metrics/efficiency");
    std::fs::create_dir_all(&eff).expect("mkdir");
    std::fs::write(eff.join("iteration-1.json"), r#"{"cost_usd": 1.5}"#).expect("write");
    std::fs::write(eff.join("iteration-2.json"), r#"{"cost_usd": 2}"#).expect("write");
    let c = uncached(dir.path());
    assert_eq!(c.collect().cost_usd(), 3.5);
    // A different size changes the key even within one mtime tick.
    std::fs::write(eff.join("iteration-2.json"), r#"{"cost_usd": 2.25}"#).expect("write");
    assert_eq!(c.collect().cost_usd(), 3.75);
    std::fs::remove_file(eff.join("iteration-1.json")).expect("remove");
    assert_eq!(c.collect().cost_usd(), 2.25);
}

#[test]
fn a_replaced_dashboard_state_is_reread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("dashboard-state.json");
    let write = |pending: usize| {
        let tasks: Vec<String> = (0..pending).map(|i| format!("{{\"id\":{i}}}")).collect();
        let tmp = dir.path().join(".dashboard-state.json.tmp");
        std::fs::write(
            &tmp,
            format!("{{\"mode\":\"autonomous\",\"iteration\":3,\"tasks\":{{\"pending\":[{}]}}}}", tasks.join(",")),
        )
        .expect("write");
        std::fs::rename(&tmp, &state).expect("rename");
    };
    let c = uncached(dir.path());
    write(2);
    assert_eq!(c.collect().tasks().pending, 2);
    write(3);
    assert_eq!(c.collect().tasks().pending, 3);
}
