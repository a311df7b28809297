//! A real RabbitMQ broker (Debian's `rabbitmq-server`, which `.ci/run`
//! installs) with its Web STOMP plugin, private to one test binary: its own
//! node name, ports, data folder and epmd. It is started once and stopped
//! when the test process ends, however it ends: a watchdog shell reads the
//! test process's end of a pipe and stops the broker at end of file.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// How long the broker may take to start; it takes 5-10 s on 2 cores.
const START_LIMIT: Duration = Duration::from_secs(90);

pub struct Broker {
    /// The Web STOMP endpoint: `ws://127.0.0.1:PORT/ws`.
    pub url: String,
    _watchdog: Child,
}

/// The broker for this test binary, started on first use; `None` (said on
/// stderr) where RabbitMQ is not installed.
pub fn broker() -> Option<&'static Broker> {
    static BROKER: OnceLock<Result<Option<Broker>, String>> = OnceLock::new();
    // A broker that failed to start fails every test that needs it, once
    // each, without trying again.
    match BROKER.get_or_init(start) {
        Ok(broker) => broker.as_ref(),
        Err(why) => panic!("{why}"),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start() -> Result<Option<Broker>, String> {
    if !Path::new(SERVER).exists() {
        eprintln!("skipped: rabbitmq-server is not installed (apt-get install rabbitmq-server; .ci/run does)");
        return Ok(None);
    }
    // The watchdog removes it once the broker has stopped.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let (stomp, epmd, dist) = (free_port(), free_port(), free_port());
    let path = |name: &str| dir.join(name);
    std::fs::write(path("enabled_plugins"), "[rabbitmq_web_stomp].\n").expect("plugins file");
    std::fs::write(
        path("rabbitmq.conf"),
        format!(
            "listeners.tcp = none\nstomp.listeners.tcp = none\nweb_stomp.tcp.port = {stomp}\nweb_stomp.tcp.ip = 127.0.0.1\nloopback_users = none\n"
        ),
    )
    .expect("config");
    let node = format!("wscope{}@localhost", std::process::id());
    // The shell keeps stdin open as long as the test process lives.
    let script = format!(
        "{SERVER} > {log} 2>&1 & child=$!; cat > /dev/null; kill $child; wait $child; \
         epmd -port {epmd} -kill > /dev/null 2>&1; rm -rf {dir}",
        log = path("out.log").display(),
        dir = dir.display()
    );
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("RABBITMQ_NODENAME", &node)
        .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
        .env("RABBITMQ_LOG_BASE", path("log"))
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
        .env("RABBITMQ_CONFIG_FILE", path("rabbitmq"))
        .env("RABBITMQ_PID_FILE", path("pid"))
        .env("RABBITMQ_CONF_ENV_FILE", path("none"))
        .env("RABBITMQ_DIST_PORT", dist.to_string())
        .env("ERL_EPMD_PORT", epmd.to_string())
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the broker's watchdog");
    // The pipe's write end must outlive every test: it is leaked on purpose,
    // and closes when the process exits.
    if let Some(stdin) = watchdog.stdin.take() {
        let mut stdin = stdin;
        let _ = stdin.flush();
        std::mem::forget(stdin);
    }
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", stomp)).is_err() {
        if started.elapsed() > START_LIMIT || watchdog.try_wait().ok().flatten().is_some() {
            let log = std::fs::read_to_string(path("out.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "RabbitMQ did not start within {START_LIMIT:?}:\n{}",
                tail.join("\n")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("RabbitMQ Web STOMP on port {stomp}, up in {:?}", started.elapsed());
    Ok(Some(Broker {
        url: format!("ws://127.0.0.1:{stomp}/ws"),
        _watchdog: watchdog,
    }))
}
