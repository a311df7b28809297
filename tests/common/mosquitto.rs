//! A real MQTT broker, Debian's mosquitto (which `.ci/run` installs), one
//! per test: a WebSocket listener and a plain one (mosquitto 2.0 opens its
//! WebSocket listener only beside another), on free loopback ports. It stops
//! when dropped. `mosquitto_pub` from mosquitto-clients is the other client.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mosquitto {
    /// `ws://127.0.0.1:PORT/`.
    pub url: String,
    /// The plain MQTT listener, for `mosquitto_pub`.
    pub tcp_port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts a broker with `extra` added to its configuration (for example
/// `allow_anonymous false`); `None`, said on stderr, without mosquitto.
pub fn start(extra: &str) -> Option<Mosquitto> {
    let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists());
    let Some(binary) = binary else {
        eprintln!("skipped: mosquitto is not installed (apt-get install mosquitto mosquitto-clients; .ci/run does)");
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (tcp_port, ws_port) = (free_port(), free_port());
    let anonymous = if extra.contains("allow_anonymous") {
        ""
    } else {
        "allow_anonymous true\n"
    };
    let config = format!(
        "listener {tcp_port} 127.0.0.1\nlistener {ws_port} 127.0.0.1\nprotocol websockets\n{anonymous}{extra}\n"
    );
    let path = dir.path().join("mosquitto.conf");
    std::fs::write(&path, config).expect("config");
    let child = Command::new(binary)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mosquitto");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", ws_port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "mosquitto did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Mosquitto {
        url: format!("ws://127.0.0.1:{ws_port}/"),
        tcp_port,
        child,
        _dir: dir,
    })
}

impl Mosquitto {
    /// Publishes with `mosquitto_pub` (another client, not ours).
    pub fn publish(&self, topic: &str, message: &str, args: &[&str]) {
        let status = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.tcp_port.to_string(),
                "-t",
                topic,
                "-m",
                message,
            ])
            .args(args)
            .status()
            .expect("mosquitto_pub (mosquitto-clients)");
        assert!(status.success(), "mosquitto_pub failed");
    }
}
