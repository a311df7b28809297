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

/// What the server does with each client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Greet, echo, and tick every second.
    #[default]
    Demo,
    /// Send `count` text frames of `size` bytes, at most `rate` a second
    /// (as fast as the socket takes them when `None`), then close with 1000.
    Flood { count: u64, size: usize, rate: Option<u32> },
}

/// A running demo server; it stops when dropped.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl DemoServer {
    /// Binds to `addr` (port 0 picks a free one) and starts serving.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        Self::start_with(addr, Mode::Demo).await
    }

    /// Binds to `addr` and serves every client in `mode`.
    pub async fn start_with(addr: SocketAddr, mode: Mode) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let accept_loop = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => match mode {
                        Mode::Demo => {
                            tokio::spawn(serve_client(stream));
                        }
                        Mode::Flood { count, size, rate } => {
                            tokio::spawn(flood_client(stream, count, size, rate));
                        }
                    },
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

/// The flood: `count` frames of `size` bytes. Frames are queued with `feed`
/// and flushed in batches, so the server is never the bottleneck.
async fn flood_client(stream: TcpStream, count: u64, size: usize, rate: Option<u32>) {
    let _ = stream.set_nodelay(true);
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut incoming) = socket.split();
    // Answer pings and notice a client that leaves, while flooding.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = incoming.next().await {} });
    let template = "x".repeat(size);
    let batch = rate.map_or(256, |r| (r / 100).max(1)) as u64;
    let mut pace = rate.map(|_| tokio::time::interval(Duration::from_millis(10)));
    let mut sent = 0u64;
    while sent < count {
        if let Some(pace) = &mut pace {
            pace.tick().await;
        }
        let upto = (sent + batch).min(count);
        for seq in sent..upto {
            // The sequence number in front lets a reader check order and count.
            let mut text = format!("{seq:010} ");
            text.push_str(&template[..size.saturating_sub(text.len())]);
            if sink.feed(Message::text(text)).await.is_err() {
                reader.abort();
                return;
            }
        }
        if sink.flush().await.is_err() {
            reader.abort();
            return;
        }
        sent = upto;
    }
    let _ = sink
        .send(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: 1000.into(),
                reason: "flood done".into(),
            },
        )))
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
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
