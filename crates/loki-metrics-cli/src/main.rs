//! `loki-metrics`: render, serve, fetch and check Loki Mode metrics.

mod check;
mod demo;
mod fetch;
mod push;
#[cfg(test)]
mod reference;
mod render;
mod serve;
mod simulate;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "loki-metrics", version, about = "Prometheus / OpenMetrics metrics for a Loki Mode session", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the metrics of a .loki directory (no server needed).
    Render(render::RenderArgs),
    /// Serve the metrics over HTTP (GET /metrics, GET /health) until SIGINT/SIGTERM.
    Serve(serve::ServeArgs),
    /// Fetch and print the metrics of a running exporter (the guide's `loki metrics`).
    Fetch(fetch::FetchArgs),
    /// Send the metrics of a .loki directory to a Prometheus remote-write
    /// receiver (Prometheus, Mimir, Grafana Cloud, ...), once or every --interval.
    Push(push::PushArgs),
    /// Write a live, realistic .loki directory (for demos and soak tests).
    Simulate(simulate::SimulateArgs),
    /// Simulate a session in a temporary directory and serve it: see it all work.
    Demo(demo::DemoArgs),
    /// Check exposition text (Prometheus 0.0.4 or OpenMetrics 1.0) from a file
    /// or stdin: exit 1 with `line:column: message` if it is invalid, and
    /// print promtool-style lint warnings.
    Check(check::CheckArgs),
    /// Watch a session in the terminal (what the exporter's status page shows),
    /// from a .loki directory or a running exporter; `--once` prints one
    /// plain-text frame.
    Watch(watch::WatchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) => render::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Push(args) => push::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Check(args) => check::run(args),
        Command::Watch(args) => watch::run(args),
    }
}
