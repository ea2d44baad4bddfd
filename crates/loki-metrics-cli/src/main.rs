//! `loki-metrics`: render, serve, fetch and check Loki Mode metrics.

mod render;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Render(args) => render::run(args),
    }
}
