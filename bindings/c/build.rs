//! Gives the shared library the SONAME it is installed under.
//!
//! Cargo names the artifact after `[lib] name` (`libloki_metrics_c.so`), which
//! cannot be `loki_metrics` (the core rlib has that name). The Makefile
//! installs it as `libloki_metrics.so.1`; with this SONAME, programs linked
//! against the installed `libloki_metrics.so` record `libloki_metrics.so.1`.
//! The link argument applies to this crate's cdylib only.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libloki_metrics.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
