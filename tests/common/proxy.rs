//! `wscope proxy`, headless, as the tests start it: its address and what
//! it prints.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::WAIT;

/// The proxy, headless, with what it printed so far.
pub struct Proxy {
    pub child: Child,
    pub addr: SocketAddr,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
    _home: tempfile::TempDir,
    pub home: std::path::PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(reader: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(reader).lines().map_while(Result::ok) {
            let mut all = sink.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
        }
    });
    text
}

impl Proxy {
    pub fn start(args: &[&str]) -> Self {
        let home = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_wscope"))
            .arg("--config-dir")
            .arg(home.path())
            .args(["proxy", "--headless", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run wscope proxy");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let deadline = std::time::Instant::now() + WAIT;
        let addr = loop {
            let text = stderr.lock().unwrap().clone();
            if let Some(rest) = text.split("listening on ").nth(1) {
                let addr = rest.split([',', ' ', '\n']).next().unwrap_or_default();
                break addr.parse().expect("a listen address");
            }
            assert!(std::time::Instant::now() < deadline, "the proxy did not start: {text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let home_path = home.path().to_path_buf();
        Self {
            child,
            addr,
            stdout,
            stderr,
            _home: home,
            home: home_path,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Waits until standard output holds `needle`.
    pub async fn printed(&self, needle: &str) -> String {
        wait_for_text(&self.stdout, needle).await
    }

    pub async fn said(&self, needle: &str) -> String {
        wait_for_text(&self.stderr, needle).await
    }
}

pub async fn wait_for_text(text: &Arc<Mutex<String>>, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = text.lock().unwrap().clone();
        if now.contains(needle) {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never printed {needle:?}; got:\n{now}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
