//! wscope in an 80x24 pseudo-terminal, read back through a terminal
//! emulator: shared by the end-to-end tests and the ingest benchmark.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const ROWS: u16 = 24;
/// How long a wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);
pub const COLS: u16 = 80;

/// A running `wscope` with its own terminal and its own home folder.
pub struct Pty {
    /// What the terminal shows.
    pub screen: Arc<Mutex<vt100::Parser>>,
    /// Bytes wscope has written to the terminal so far.
    pub bytes: Arc<AtomicU64>,
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    /// Every byte written to the terminal, when recording (see
    /// [`Pty::spawn_recording`]): what `script` would capture.
    pub raw: Option<Arc<Mutex<Vec<u8>>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _home: tempfile::TempDir,
}

impl Pty {
    /// Starts the binary with `args`, extra environment and a working folder.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> Self {
        Self::start(args, env, cwd, false)
    }

    /// As [`Pty::spawn`], also keeping every byte written to the terminal.
    pub fn spawn_recording(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start(args, env, None, true)
    }

    /// As [`Pty::spawn`], in a terminal of `cols` x `rows`.
    pub fn spawn_sized(args: &[&str], cols: u16, rows: u16) -> Self {
        Self::open(args, &[], None, false, (cols, rows))
    }

    fn start(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>, record: bool) -> Self {
        Self::open(args, env, cwd, record, (COLS, ROWS))
    }

    fn open(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>, record: bool, (cols, rows): (u16, u16)) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut command = CommandBuilder::new(wscope_binary());
        command.args(args);
        command.env("TERM", "xterm-256color");
        // Never the real home: drafts and profiles go to a folder of this run.
        let home = tempfile::tempdir().expect("temp home");
        command.env("XDG_CONFIG_HOME", home.path().join("config"));
        command.env("XDG_DATA_HOME", home.path().join("data"));
        for (name, value) in env {
            command.env(name, value);
        }
        if let Some(dir) = cwd {
            command.cwd(dir);
        }
        let child = pty.slave.spawn_command(command).expect("spawn wscope");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let bytes = Arc::new(AtomicU64::new(0));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let (sink, counter) = (screen.clone(), bytes.clone());
        let raw = record.then(|| Arc::new(Mutex::new(Vec::new())));
        let recording = raw.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                counter.fetch_add(n as u64, Ordering::Relaxed);
                if let Some(raw) = &recording {
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().expect("pty writer");
        Self {
            screen,
            bytes,
            child,
            master: pty.master,
            writer,
            raw,
            reader: Some(reader),
            _home: home,
        }
    }

    /// Waits until everything wscope wrote has been read: the terminal
    /// reports end of file once the process and its children have gone.
    pub fn read_to_end(&mut self) {
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the pty reader ends");
        }
    }

    /// Waits until the screen shows every one of `needles`, and returns it;
    /// fails the test after [`PATIENCE`].
    pub fn wait_for(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text();
            if needles.iter().all(|n| text.contains(n)) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {needles:?}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the screen meets `condition` (`what` names it for the
    /// failure), and returns it; fails the test after [`PATIENCE`].
    pub fn wait_until(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text();
            if condition(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits for wscope to exit and for everything it wrote to be read.
    pub fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                self.read_to_end();
                return status;
            }
            assert!(Instant::now() < deadline, "wscope did not exit:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The bytes written so far, when recording.
    pub fn raw_bytes(&self) -> Vec<u8> {
        self.raw
            .as_ref()
            .map(|raw| raw.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// The screen's text.
    pub fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Types `bytes` as keys.
    pub fn press(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("pid")
    }

    /// How long until the screen shows `needle`, looking every half
    /// millisecond; `None` if it does not within `limit`.
    pub fn time_until(&self, needle: &str, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.text().contains(needle) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        None
    }
}

/// The binary under test: `WSCOPE_BINARY` when set (the benchmarks measure
/// the shipped release build with it), else the one cargo built for this run.
pub fn wscope_binary() -> std::ffi::OsString {
    std::env::var_os("WSCOPE_BINARY").unwrap_or_else(|| env!("CARGO_BIN_EXE_wscope").into())
}
