//! The embedded demo server behind `wscope demo` and `wscope serve`.
//!
//! It greets each client, echoes what it receives and sends a small JSON
//! ticker every second, so a new user sees live traffic without any network.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// How often the ticker speaks.
const TICK_EVERY: Duration = Duration::from_secs(1);

/// A running demo server; it stops when dropped.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl DemoServer {
    /// Binds to `addr` (port 0 picks a free one) and starts serving.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let accept_loop = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve_client(stream));
                    }
                    // Out of file descriptors and the like: pause rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Ok(Self { addr, accept_loop })
    }

    /// The ws:// URL clients should connect to.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn serve_client(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut incoming) = socket.split();
    let greeting = serde_json::json!({
        "type": "welcome",
        "message": "Hello from the wscope demo server",
        "hint": "anything you send is echoed back; a tick arrives every second",
    });
    if sink.send(Message::text(greeting.to_string())).await.is_err() {
        return;
    }
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + TICK_EVERY, TICK_EVERY);
    let mut price = Walk::new();
    let mut seq: u64 = 0;
    loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
                // Pings are answered and closes acknowledged by tungstenite itself.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            _ = ticker.tick() => {
                seq += 1;
                let tick = serde_json::json!({
                    "type": "tick",
                    "seq": seq,
                    "symbol": "WSC",
                    "price": price.step(),
                    "ts": unix_millis(),
                });
                if sink.send(Message::text(tick.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A random walk for the ticker price; xorshift is plenty for demo data.
struct Walk {
    state: u64,
    cents: i64,
}

impl Walk {
    fn new() -> Self {
        Self {
            state: unix_millis() | 1,
            cents: 10_000,
        }
    }

    fn step(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let delta = (self.state % 101) as i64 - 50;
        self.cents = (self.cents + delta).max(100);
        self.cents as f64 / 100.0
    }
}
