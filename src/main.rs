//! The `wscope` binary: parse, start the runtime, dispatch. Each command
//! lives in `wscope::commands`.

use std::process::ExitCode;

use wscope::cli::{Cli, Command};

/// A panic anywhere ends wscope with the terminal restored, where it
/// happened on standard error, and a non-zero status. On the main thread the
/// unwinding goes on, so the inspector still writes the draft on its way
/// out (Rust then exits with 101); any other thread (the connection task,
/// file work) exits at once, as the UI could not go on without it.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        wscope::tui::restore_if_active();
        default(info);
        eprintln!("wscope: this is a bug; please report it with the lines above");
        if std::thread::current().name() != Some("main") {
            std::process::exit(101);
        }
    }));
}

fn main() -> ExitCode {
    // A jq expression's own process (see `wscope::jq::sandbox`).
    let mut args = std::env::args();
    if args.nth(1).as_deref() == Some(wscope::jq::sandbox::WORKER_ARG) {
        return ExitCode::from(wscope::jq::sandbox::serve(&args.next().unwrap_or_default()));
    }
    install_panic_hook();
    if let Ok(executable) = std::env::current_exe() {
        wscope::jq::set_worker(executable);
    }
    let cli = Cli::parse_ordered();
    // The connection module passes its provider explicitly; this covers any
    // other rustls user in the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The UI loop runs on the main thread; one worker is enough for the
    // connection task, and a second only steals it back and forth under a
    // flood, costing CPU the UI needs. `serve` keeps a worker per core for
    // its many clients.
    let workers = match cli.command {
        Some(Command::Serve { .. }) => std::thread::available_parallelism().map_or(2, |n| n.get()),
        _ => 1,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("wscope: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(wscope::commands::run(cli));
    // Dropping the runtime would wait for its blocking threads, and one may
    // sit in a read of an interactive standard input (`pipe` from a
    // terminal) that never returns. Files are written atomically, so
    // nothing is left half-done.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // An error can quote a file or a server: sanitized like the rest.
            eprintln!("wscope: {}", wscope::sanitize::text(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}
