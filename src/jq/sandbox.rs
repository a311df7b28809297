//! jq expressions evaluated in a process of their own (`wscope
//! __jq-worker EXPR`), so that one that loops forever, recurses until its
//! stack runs out or exhausts memory costs that process, not the inspector:
//! it is killed after [`BUDGET`], or found dead, and the filter says why.
//!
//! The pipes are served by two threads, so the caller only ever waits on a
//! channel, with a deadline. A request is a kind byte (`m`atches or
//! `f`irst value), a count, then each payload with its length; answers are
//! a byte per payload, or a length (`u32::MAX` for none) and JSON text.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How long one request may take before the worker is killed: a frame
/// takes microseconds, a batch of 1,024 a few milliseconds; large payloads
/// get [`BUDGET_PER_MIB`] more.
pub const BUDGET: Duration = Duration::from_millis(500);

/// What each MiB of a request adds to its budget (jq reads about 100 MB/s).
pub const BUDGET_PER_MIB: Duration = Duration::from_millis(50);

/// The first argument that turns the binary into a worker.
pub const WORKER_ARG: &str = "__jq-worker";

/// A worker process for one expression.
pub struct Sandbox {
    inner: Mutex<Inner>,
}

struct Inner {
    child: Child,
    requests: Sender<Vec<u8>>,
    answers: Receiver<Vec<u8>>,
    /// Set once the worker was stopped, with why.
    failure: Option<String>,
}

impl Sandbox {
    /// Starts `executable __jq-worker code`.
    pub fn start(executable: &Path, code: &str) -> std::io::Result<Self> {
        let mut child = Command::new(executable)
            .arg(WORKER_ARG)
            .arg(code)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(stdin), Some(stdout)) => (stdin, stdout),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::other("the jq worker has no pipes"));
            }
        };
        let (requests, to_write) = mpsc::channel::<Vec<u8>>();
        let (answered, answers) = mpsc::channel::<Vec<u8>>();
        std::thread::Builder::new()
            .name("jq-writer".into())
            .spawn(move || write_requests(stdin, to_write))?;
        std::thread::Builder::new()
            .name("jq-reader".into())
            .spawn(move || read_answers(stdout, answered))?;
        Ok(Self {
            inner: Mutex::new(Inner {
                child,
                requests,
                answers,
                failure: None,
            }),
        })
    }

    pub fn matches(&self, payloads: &[&[u8]]) -> Vec<bool> {
        let answer = self.ask(request(b'm', payloads));
        match answer {
            Some(bytes) if bytes.len() == payloads.len() => bytes.iter().map(|b| *b == 1).collect(),
            _ => vec![false; payloads.len()],
        }
    }

    pub fn first_value(&self, payload: &[u8]) -> Option<String> {
        let answer = self.ask(request(b'f', &[payload]))?;
        (!answer.is_empty()).then(|| String::from_utf8_lossy(&answer).into_owned())
    }

    pub fn failure(&self) -> Option<String> {
        self.inner.lock().ok().and_then(|inner| inner.failure.clone())
    }

    /// Sends a request and waits for its answer, within [`BUDGET`].
    fn ask(&self, request: Vec<u8>) -> Option<Vec<u8>> {
        let mut inner = self.inner.lock().ok()?;
        if inner.failure.is_some() {
            return None;
        }
        let request_len = request.len();
        if inner.requests.send(request).is_err() {
            inner.stop("the jq worker is gone");
            return None;
        }
        let budget = BUDGET + BUDGET_PER_MIB * (request_len >> 20) as u32;
        match inner.answers.recv_timeout(budget) {
            Ok(answer) => Some(answer),
            Err(RecvTimeoutError::Timeout) => {
                inner.stop(&format!(
                    "jq ran past {} ms on a batch of frames (a loop?)",
                    budget.as_millis()
                ));
                None
            }
            Err(RecvTimeoutError::Disconnected) => {
                inner.stop("jq crashed (runaway recursion or memory?)");
                None
            }
        }
    }
}

impl Inner {
    fn stop(&mut self, why: &str) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.failure = Some(why.to_string());
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Ok(inner) = self.inner.get_mut() {
            let _ = inner.child.kill();
            let _ = inner.child.wait();
        }
    }
}

fn request(kind: u8, payloads: &[&[u8]]) -> Vec<u8> {
    let total: usize = payloads.iter().map(|p| p.len() + 4).sum();
    let mut out = Vec::with_capacity(5 + total);
    out.push(kind);
    out.extend_from_slice(&(payloads.len() as u32).to_le_bytes());
    for payload in payloads {
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

fn write_requests(stdin: ChildStdin, requests: Receiver<Vec<u8>>) {
    let mut stdin = BufWriter::new(stdin);
    for request in requests {
        if stdin.write_all(&request).and_then(|()| stdin.flush()).is_err() {
            return;
        }
    }
}

fn read_answers(stdout: ChildStdout, answers: Sender<Vec<u8>>) {
    let mut stdout = BufReader::new(stdout);
    while let Ok(len) = read_u32(&mut stdout) {
        let mut answer = vec![0; len as usize];
        if stdout.read_exact(&mut answer).is_err() || answers.send(answer).is_err() {
            return;
        }
    }
}

fn read_u32(input: &mut impl Read) -> std::io::Result<u32> {
    let mut bytes = [0; 4];
    input.read_exact(&mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

/// The worker: answers requests on standard input until it closes.
/// Returns the exit status.
pub fn serve(code: &str) -> u8 {
    let Ok(evaluator) = crate::jq::Evaluator::compile(code) else {
        return 2;
    };
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    loop {
        let mut kind = [0u8];
        if input.read_exact(&mut kind).is_err() {
            return 0;
        }
        let Ok(count) = read_u32(&mut input) else { return 1 };
        let mut answer = Vec::new();
        for _ in 0..count {
            let Ok(len) = read_u32(&mut input) else { return 1 };
            let mut payload = vec![0; len as usize];
            if input.read_exact(&mut payload).is_err() {
                return 1;
            }
            match kind[0] {
                b'm' => answer.push(u8::from(evaluator.matches(&payload))),
                _ => answer.extend(evaluator.first_value(&payload).unwrap_or_default().into_bytes()),
            }
        }
        let written = output
            .write_all(&(answer.len() as u32).to_le_bytes())
            .and_then(|()| output.write_all(&answer))
            .and_then(|()| output.flush());
        if written.is_err() {
            return 0;
        }
    }
}
