//! The embedded demo server behind `wscope demo` and `wscope serve`.
//!
//! It greets each client, echoes what it receives and sends a small JSON
//! ticker every second, so a new user sees live traffic without any network.
//!
//! May import: nothing from this crate.

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
    /// With `socketio`, the frames are Socket.IO events
    /// (`42["tick","000…"]`) after an Engine.IO open packet and a CONNECT.
    Flood {
        count: u64,
        size: usize,
        rate: Option<u32>,
        socketio: bool,
    },
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
                        Mode::Flood {
                            count,
                            size,
                            rate,
                            socketio,
                        } => {
                            tokio::spawn(flood_client(stream, count, size, rate, socketio));
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
/// and flushed in batches, and each is one copy of a template with its
/// number written in, so the server costs its clients as little as it can.
/// What a Socket.IO flood adds around each frame's text: `42["tick","` and `"]`.
const SOCKETIO_EVENT_OVERHEAD: usize = 13;

async fn flood_client(stream: TcpStream, count: u64, size: usize, rate: Option<u32>, socketio: bool) {
    let _ = stream.set_nodelay(true);
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut incoming) = socket.split();
    // Answer pings and notice a client that leaves, while flooding.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = incoming.next().await {} });
    // The server joins the client to `/` without waiting for its CONNECT,
    // so the same frames reach a raw client too.
    if socketio {
        let open = r#"0{"sid":"flood","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        for text in [open, r#"40{"sid":"flood"}"#] {
            if sink.feed(Message::text(text)).await.is_err() {
                reader.abort();
                return;
            }
        }
    }
    let size = if socketio {
        size.saturating_sub(SOCKETIO_EVENT_OVERHEAD)
    } else {
        size
    };
    let template = flood_template(size);
    let batch = rate.map_or(256, |r| (r / 100).max(1)) as u64;
    let mut pace = rate.map(|_| tokio::time::interval(Duration::from_millis(10)));
    let mut sent = 0u64;
    while sent < count {
        if let Some(pace) = &mut pace {
            pace.tick().await;
        }
        let upto = (sent + batch).min(count);
        for seq in sent..upto {
            let text = flood_text(seq, size, &template);
            let text = if socketio {
                format!(r#"42["tick","{text}"]"#)
            } else {
                text
            };
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

/// Digits of the sequence number in front of each flood frame.
const SEQ_DIGITS: usize = 10;

/// A flood frame with its number left as zeros: `0000000000 xxx…`.
fn flood_template(size: usize) -> String {
    let mut template = format!("{:0SEQ_DIGITS$} ", 0);
    template.push_str(&"x".repeat(size.saturating_sub(template.len())));
    template
}

/// Flood frame number `seq`: the zero-padded number, a space, and `x` up to
/// `size` bytes (the number and space are kept even when `size` is smaller).
/// The number in front lets a reader check order and count.
fn flood_text(seq: u64, size: usize, template: &str) -> String {
    // Digits written by hand: `to_string` would allocate once more per frame.
    let mut buffer = [0u8; 20];
    let mut start = buffer.len();
    let mut rest = seq;
    loop {
        start -= 1;
        buffer[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = std::str::from_utf8(&buffer[start..]).unwrap_or_default();
    if digits.len() > SEQ_DIGITS {
        let mut text = format!("{digits} ");
        text.push_str(&template[..size.saturating_sub(text.len()).min(template.len())]);
        return text;
    }
    let mut text = String::with_capacity(template.len());
    text.push_str(&template[..SEQ_DIGITS - digits.len()]);
    text.push_str(digits);
    text.push_str(&template[SEQ_DIGITS..]);
    text
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A random walk for the ticker price.
struct Walk {
    rng: fastrand::Rng,
    cents: i64,
}

impl Walk {
    fn new() -> Self {
        Self {
            rng: fastrand::Rng::new(),
            cents: 10_000,
        }
    }

    fn step(&mut self) -> f64 {
        let delta = self.rng.i64(-50..=50);
        self.cents = (self.cents + delta).max(100);
        self.cents as f64 / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_frames_are_numbered_and_sized() {
        let template = flood_template(100);
        assert_eq!(template.len(), 100);
        for seq in [0, 7, 1_999_999, 9_999_999_999] {
            let text = flood_text(seq, 100, &template);
            assert_eq!(text.len(), 100);
            assert_eq!(text[..11], format!("{seq:010} "));
            assert!(text[11..].bytes().all(|b| b == b'x'));
        }
        let long = flood_text(12_345_678_901, 100, &template);
        assert_eq!((long.len(), &long[..12]), (100, "12345678901 "));
        // Smaller than the number: the number and its space stay whole.
        let small = flood_template(4);
        assert_eq!(flood_text(42, 4, &small), "0000000042 ");
        assert_eq!(flood_text(12_345_678_901, 4, &small), "12345678901 ");
    }
}
