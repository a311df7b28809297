//! Figures for `wscope proxy`, measured on the real binary: the inspector
//! live in an 80x24 pseudo-terminal, or headless where a terminal would
//! only add noise.
//!
//! 1. Throughput: N x 100 B frames client to server through the reverse
//!    proxy (TUI live), against the same flood sent straight to the server
//!    and through a TCP relay that only copies bytes (what any proxy costs
//!    on this machine), in the same run: three of each, alternating,
//!    medians compared, with each proxy's CPU time a frame. Then the same
//!    flood through the headless proxy.
//! 2. Latency: the round trip the proxy adds, p50 and p99 over 10,000
//!    echoes, against the same echoes sent straight.
//! 3. Many connections: 1,000 connections through the proxy, each sending
//!    10 frames a second for 10 s: frames forwarded, how long keys take to
//!    show (the connections list opened and closed) and peak memory, with
//!    the inspector live; then forwarded and memory headless.
//!
//! 4. The same flood through mitmproxy's `mitmdump` (reverse mode), when it
//!    is installed (`pip install mitmproxy`).
//!
//! Run with `cargo bench --bench proxy`. `WSCOPE_BENCH_FRAMES` sets N
//! (default 1,000,000), `WSCOPE_BENCH_CONNECTIONS` the connections (1,000);
//! `WSCOPE_BENCH_ONLY=throughput` runs figures 1 and 2 alone,
//! `WSCOPE_BENCH_ONLY=connections` figure 3 alone;
//! `WSCOPE_BINARY` measures another build of wscope (the shipped one, from
//! `cargo build --release`) in place of the benchmark profile's.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[path = "../tests/common/pty.rs"]
mod pty;
use pty::Pty;

#[path = "support/memory.rs"]
mod memory;
use memory::peak_rss_kib;

const FRAME: usize = 100;

/// A server that counts the data frames it receives and echoes text
/// frames that start with `echo`.
async fn counting_server(received: Arc<AtomicU64>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(message)) = socket.next().await {
                    if message.is_text() || message.is_binary() {
                        received.fetch_add(1, Ordering::Relaxed);
                        if message.to_text().is_ok_and(|t| t.starts_with("echo")) && socket.send(message).await.is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Sends `count` frames of 100 B to `url` and returns when the server has
/// counted them all.
async fn flood(url: &str, count: u64, received: &AtomicU64) -> Duration {
    let before = received.load(Ordering::Relaxed);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let payload = "x".repeat(FRAME);
    let start = Instant::now();
    for _ in 0..count {
        socket.feed(Message::text(payload.clone())).await.unwrap();
    }
    socket.flush().await.unwrap();
    while received.load(Ordering::Relaxed) < before + count {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let took = start.elapsed();
    let _ = socket.close(None).await;
    took
}

/// Round trips of `count` echoes, one after another, sorted.
async fn round_trips(url: &str, count: usize) -> Vec<Duration> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        socket.send(Message::text("echo ping")).await.unwrap();
        loop {
            if let Some(Ok(Message::Text(_))) = socket.next().await {
                break;
            }
        }
        times.push(start.elapsed());
    }
    let _ = socket.close(None).await;
    times.sort();
    times
}

/// `connections` clients of `listen`, each sending a frame every 100 ms
/// for `seconds`, counted in `sent`.
async fn many_clients(listen: &str, connections: usize, seconds: u64, sent: &Arc<AtomicU64>) {
    let mut tasks = Vec::new();
    for n in 0..connections {
        let sent = sent.clone();
        let url = format!("ws://{listen}/c{n}");
        tasks.push(tokio::spawn(async move {
            let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
                return;
            };
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for _ in 0..seconds * 10 {
                tick.tick().await;
                if socket.send(Message::text("y".repeat(FRAME))).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = socket.close(None).await;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// A TCP relay that only copies bytes, on a thread of its own, in front of
/// `upstream`: the most any proxy can reach on this machine, since the
/// kernel's work on the second hop is the same whatever the proxy does.
/// Returns its address and its thread's stat file, for its CPU time.
fn byte_relay(upstream: SocketAddr) -> (SocketAddr, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (stat_tx, stat_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = stat_tx.send(memory::this_thread_stat());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((mut client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
    });
    (addr, stat_rx.recv().unwrap())
}

/// A loopback port nothing listens on.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// `wscope proxy` in front of `upstream`, the inspector live in a
/// pseudo-terminal, once it listens: its terminal, address and home.
fn inspector_proxy(upstream: &str) -> (Pty, String, tempfile::TempDir) {
    let listen = format!("127.0.0.1:{}", free_port());
    let home = tempfile::tempdir().unwrap();
    let tui = Pty::spawn(
        &[
            "--config-dir",
            home.path().to_str().unwrap(),
            "proxy",
            "--listen",
            &listen,
            upstream,
        ],
        &[],
        None,
    );
    tui.wait_for(&["listening on"]);
    (tui, listen, home)
}

/// Whether every frame sent was forwarded, in words.
fn verdict(forwarded: u64, sent: u64) -> &'static str {
    if forwarded == sent {
        "every one"
    } else {
        "NOT every one"
    }
}

/// mitmproxy's `mitmdump` in reverse mode in front of `upstream`, once it
/// listens; `None` when it is not installed.
fn mitmdump(upstream: &str) -> Option<(Child, SocketAddr)> {
    let port = free_port();
    let target = upstream.replacen("ws://", "http://", 1);
    let mut child = Command::new("mitmdump")
        .args(["--mode", &format!("reverse:{target}"), "--listen-host", "127.0.0.1"])
        .args(["--listen-port", &port.to_string(), "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().ok()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((child, addr))
}

/// Floods of figure 1 each way, alternating.
const ROUNDS: usize = 3;

fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The headless proxy, with its address.
fn headless_proxy(upstream: &str) -> (Child, SocketAddr) {
    let home = std::env::temp_dir().join(format!("wscope-bench-proxy-{}", std::process::id()));
    let mut child = Command::new(pty::wscope_binary())
        .arg("--config-dir")
        .arg(&home)
        .args(["proxy", "--headless", "--listen", "127.0.0.1:0", upstream])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the proxy did not start");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split([',', ' ']).next().unwrap().trim().parse().unwrap();
        }
    };
    // Keep reading, so its notes never block it.
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, addr)
}

fn main() {
    let frames: u64 = std::env::var("WSCOPE_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let connections: usize = std::env::var("WSCOPE_BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let server = runtime.block_on(counting_server(received.clone()));
    let upstream = format!("ws://{server}/");
    println!(
        "wscope proxy benchmark: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let only = std::env::var("WSCOPE_BENCH_ONLY").unwrap_or_default();
    let through_rate = (only != "connections").then(|| throughput_and_latency(&runtime, server, frames, &received));
    if only == "throughput" {
        return;
    }
    many_connections(&runtime, &upstream, connections, &received);
    if only == "connections" {
        return;
    }
    // 4: a peer on the same flood, when it is installed.
    match mitmdump(&upstream) {
        Some((mut peer, addr)) => {
            // mitmproxy relays in Python: a tenth of the flood keeps the run short.
            let count = (frames / 10).max(1);
            let direct = runtime.block_on(flood(&upstream, count, &received));
            let through = runtime.block_on(flood(&format!("ws://{addr}/flood"), count, &received));
            let rate = count as f64 / through.as_secs_f64();
            println!(
                "4. mitmproxy     {count} x {FRAME} B through mitmdump (reverse mode, headless): {:.0} ms ({rate:.0} frames/s): {:.3}x direct; wscope with its inspector live above: {:.0} frames/s",
                through.as_secs_f64() * 1e3,
                rate / (count as f64 / direct.as_secs_f64()),
                through_rate.unwrap_or_default()
            );
            let _ = peer.kill();
            let _ = peer.wait();
        }
        None => println!("4. mitmproxy     not measured: mitmdump is not installed here (pip install mitmproxy)"),
    }
}

/// Figures 1 and 2, the inspector live in a terminal, the proxy in front of
/// the server; returns the proxied flood's rate (frames a second).
fn throughput_and_latency(
    runtime: &tokio::runtime::Runtime,
    server: SocketAddr,
    frames: u64,
    received: &Arc<AtomicU64>,
) -> f64 {
    let upstream = format!("ws://{server}/");
    // 1 + 2: the inspector live in a terminal, the proxy in front of the server.
    let (tui, listen, _home) = inspector_proxy(&upstream);
    let proxied = format!("ws://{listen}/flood");
    let own = std::process::id();
    // Direct floods, floods through wscope and floods through the byte
    // relay alternate, and the medians are compared: on a shared 2-core
    // machine one direct run alone is a noisy yardstick.
    let (relay, relay_stat) = byte_relay(server);
    let copying = format!("ws://{relay}/flood");
    let (mut directs, mut throughs, mut copieds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut peers_direct, mut peers_through, mut wscope_cpu, mut relay_cpu) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let before = (memory::cpu_time(own), memory::cpu_time(tui.pid()));
        directs.push(runtime.block_on(flood(&upstream, frames, received)));
        let between = (memory::cpu_time(own), memory::cpu_time(tui.pid()));
        throughs.push(runtime.block_on(flood(&proxied, frames, received)));
        let after = (memory::cpu_time(own), memory::cpu_time(tui.pid()));
        peers_direct += between.0 - before.0;
        peers_through += after.0 - between.0;
        wscope_cpu += after.1 - between.1;
        let relay_before = memory::thread_cpu_time(&relay_stat);
        copieds.push(runtime.block_on(flood(&copying, frames, received)));
        relay_cpu += memory::thread_cpu_time(&relay_stat) - relay_before;
    }
    let (direct, through, copied) = (median(&mut directs), median(&mut throughs), median(&mut copieds));
    let direct_rate = frames as f64 / direct.as_secs_f64();
    let through_rate = frames as f64 / through.as_secs_f64();
    let ms = |runs: &[Duration]| {
        runs.iter()
            .map(|run| format!("{:.0}", run.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "1. throughput    {frames} x {FRAME} B client→server, medians of {ROUNDS} alternating runs: direct {:.0} ms ({:.0} frames/s), through the proxy with the TUI live {:.0} ms ({:.0} frames/s): {:.2}x direct (target ≥ 0.8x)",
        direct.as_secs_f64() * 1e3,
        direct_rate,
        through.as_secs_f64() * 1e3,
        through_rate,
        through_rate / direct_rate
    );
    println!(
        "   through a TCP relay that only copies bytes (the most any proxy gets on this machine): {:.0} ms, {:.2}x direct",
        copied.as_secs_f64() * 1e3,
        direct.as_secs_f64() / copied.as_secs_f64()
    );
    println!(
        "   runs (ms): direct {}; through the proxy {}; through the byte relay {}",
        ms(&directs),
        ms(&throughs),
        ms(&copieds)
    );
    let per_frame = |cpu: Duration| cpu.as_nanos() as f64 / (frames * ROUNDS as u64) as f64;
    println!(
        "   CPU a frame: the client and server {:.0} ns direct, {:.0} ns through the proxy; wscope (relay and TUI) {:.0} ns, the byte relay {:.0} ns, of the machine's {} cores",
        per_frame(peers_direct),
        per_frame(peers_through),
        per_frame(wscope_cpu),
        per_frame(relay_cpu),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let samples = 10_000;
    let straight = runtime.block_on(round_trips(&upstream, samples));
    let relayed = runtime.block_on(round_trips(&format!("ws://{listen}/echo"), samples));
    let added = percentile(&relayed, 0.5).saturating_sub(percentile(&straight, 0.5));
    println!(
        "2. latency       {samples} echoes: direct p50 {:?} p99 {:?}; through the proxy p50 {:?} p99 {:?}; added p50 {:?} (target ≤ 0.3 ms)",
        percentile(&straight, 0.5),
        percentile(&straight, 0.99),
        percentile(&relayed, 0.5),
        percentile(&relayed, 0.99),
        added
    );
    let tui_rss = peak_rss_kib(tui.pid());
    drop(tui);
    println!("   TUI peak RSS after both: {:.1} MiB", tui_rss as f64 / 1024.0);
    // What the same flood gets through the headless proxy.
    let (mut proxy, addr) = headless_proxy(&upstream);
    let headless = runtime.block_on(flood(&format!("ws://{addr}/flood"), frames, received));
    let _ = proxy.kill();
    let _ = proxy.wait();
    println!(
        "   the same flood headless: {:.0} ms, {:.2}x direct",
        headless.as_secs_f64() * 1e3,
        direct.as_secs_f64() / headless.as_secs_f64()
    );
    through_rate
}

/// Figure 3: many connections through the proxy, with the inspector live,
/// then headless.
fn many_connections(runtime: &tokio::runtime::Runtime, upstream: &str, connections: usize, received: &Arc<AtomicU64>) {
    // 3: many connections through the proxy, the inspector live: every
    // frame forwarded, keys answered, memory held.
    let seconds = 10u64;
    let (mut tui, tui_listen, _tui_home) = inspector_proxy(upstream);
    let before = received.load(Ordering::Relaxed);
    let cpu_before = memory::cpu_time(tui.pid());
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let load = {
        let (sent, listen) = (sent.clone(), tui_listen.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(many_clients(&listen, connections, seconds, &sent));
        })
    };
    // Once every client is in: the connections list opened and closed
    // with its keys, each timed from the key to the screen showing it.
    while sent.load(Ordering::Relaxed) < connections as u64 && started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut key_times = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds - 1) {
        tui.press(b"\x1bl");
        let typed = Instant::now();
        if tui.time_until("Captured connections", Duration::from_secs(2)).is_some() {
            key_times.push(typed.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
        tui.press(b"q");
        let typed = Instant::now();
        while tui.text().contains("Captured connections") && typed.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_micros(500));
        }
        key_times.push(typed.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    load.join().unwrap();
    let forwarded = received.load(Ordering::Relaxed) - before;
    let rss = peak_rss_kib(tui.pid());
    let busy = (memory::cpu_time(tui.pid()) - cpu_before).as_secs_f64() / started.elapsed().as_secs_f64();
    key_times.sort();
    let sent = sent.load(Ordering::Relaxed);
    println!(
        "3. connections   {connections} for {seconds} s at 10 frames/s each ({:.1} s in all), the inspector live: {sent} sent, {forwarded} forwarded ({}); keys shown p50 {:?}, worst {:?} of {} (target ≤ 50 ms); peak RSS {:.1} MiB (target ≤ 200 MiB); wscope's CPU {:.0} % of a core",
        started.elapsed().as_secs_f64(),
        verdict(forwarded, sent),
        key_times.get(key_times.len() / 2).copied().unwrap_or_default(),
        key_times.last().copied().unwrap_or_default(),
        key_times.len(),
        rss as f64 / 1024.0,
        busy * 100.0
    );
    drop(tui);

    // 3b: the same through the headless proxy.
    let (mut proxy, addr) = headless_proxy(upstream);
    let before = received.load(Ordering::Relaxed);
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    runtime.block_on(many_clients(&addr.to_string(), connections, seconds, &sent));
    let forwarded = received.load(Ordering::Relaxed) - before;
    let sent = sent.load(Ordering::Relaxed);
    let rss = peak_rss_kib(proxy.id());
    println!(
        "   headless       the same ({:.1} s in all): {sent} sent, {forwarded} forwarded ({}), peak RSS {:.1} MiB",
        started.elapsed().as_secs_f64(),
        verdict(forwarded, sent),
        rss as f64 / 1024.0
    );
    let _ = proxy.kill();
    let _ = proxy.wait();
}
