//! Gives the shared library the SONAME it is installed under.
//!
//! Cargo names the artifact after `[lib] name` (`libloki_metrics_c.so`), which
//! cannot be `loki_metrics` (the core rlib has that name). The Makefile
//! installs it as `libloki_metrics.so.1`; with this SONAME, programs linked
//! against the installed `libloki_metrics.so` record `libloki_metrics.so.1`.
//! The link argument applies to this crate's cdylib only. On macOS the same
//! role is played by the install name, `@rpath/libloki_metrics.1.dylib`.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_VENDOR").as_deref() == Ok("apple") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libloki_metrics.1.dylib");
    } else {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libloki_metrics.so.1");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
