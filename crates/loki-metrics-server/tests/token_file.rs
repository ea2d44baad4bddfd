//! `--token-file`: the first line, trimmed; anything but a small regular
//! text file is a config error, and a FIFO in its place never blocks.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use loki_metrics_server::{read_token_file, ServeError};

fn message(result: Result<String, ServeError>) -> String {
    match result {
        Err(ServeError::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn the_first_line_trimmed_is_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    std::fs::write(&path, "  s3cret \nsecond line\n").expect("write");
    assert_eq!(read_token_file(&path).expect("a token"), "s3cret");
}

#[test]
fn empty_missing_binary_and_huge_files_are_config_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n  \n").expect("write");
    assert!(message(read_token_file(&empty)).ends_with("is empty"));
    assert!(message(read_token_file(&dir.path().join("absent"))).contains("No such file or directory"));
    let binary = dir.path().join("binary");
    std::fs::write(&binary, [0xff, 0xfe, b'\n']).expect("write");
    assert!(message(read_token_file(&binary)).ends_with("not UTF-8 text"));
    let huge = dir.path().join("huge");
    std::fs::File::create(&huge).expect("create").set_len(1 << 30).expect("sparse 1 GiB");
    assert!(message(read_token_file(&huge)).ends_with("larger than 1048576 bytes"));
    assert!(message(read_token_file(dir.path())).ends_with("not a regular file"));
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read_token_file(&fifo));
    });
    let result = rx.recv_timeout(Duration::from_secs(10)).expect("read_token_file blocked on a FIFO");
    assert!(message(result).ends_with("not a regular file"));
}
