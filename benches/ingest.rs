//! End-to-end figures for the performance targets, measured on the real
//! binary in an 80x24 pseudo-terminal: ingest time against a bare
//! tokio-tungstenite loop (and websocat when on PATH), peak memory, terminal
//! bandwidth, key latency under a flood, idle CPU, start-up and draw time.
//!
//! Run with `cargo bench --bench ingest`. Set `WSCOPE_BENCH_FRAMES` to
//! change the flood size (default 2,000,000).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use wscope::server::{DemoServer, Mode};

const FRAME_SIZE: usize = 100;
/// Timed runs of each side of the ingest comparison.
const RUNS: usize = 9;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[path = "../tests/common/pty.rs"]
mod pty;
use pty::Pty;

#[path = "support/memory.rs"]
mod memory;
use memory::{cpu_time, peak_rss_kib};

/// Starts wscope in the benchmark's 80x24 terminal.
fn spawn(args: &[&str]) -> Pty {
    Pty::spawn(args, &[], None)
}

/// Ctrl-C, then waits for the exit.
fn quit(mut wscope: Pty) {
    wscope.press(b"\x03");
    let _ = wscope.child.wait();
}

fn flood_server(runtime: &tokio::runtime::Runtime, count: u64, rate: Option<u32>) -> DemoServer {
    runtime
        .block_on(DemoServer::start_with(
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
            Mode::Flood {
                count,
                size: FRAME_SIZE,
                rate,
                socketio: false,
            },
        ))
        .expect("flood server")
}

/// `wscope serve --flood` in a process of its own, so that the server's work
/// is not charged to whichever client shares its runtime.
struct ServeProcess {
    child: std::process::Child,
    url: String,
    _banner: std::io::BufReader<std::process::ChildStdout>,
}

impl ServeProcess {
    fn start(count: u64) -> Self {
        Self::start_with(count, &[])
    }

    fn start_with(count: u64, extra: &[&str]) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["serve", "--port", "0", "--flood", &count.to_string()])
            .args(["--size", &FRAME_SIZE.to_string()])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start wscope serve");
        let mut first_line = String::new();
        let mut banner = std::io::BufReader::new(child.stdout.take().expect("serve stdout"));
        std::io::BufRead::read_line(&mut banner, &mut first_line).expect("serve banner");
        let url = first_line
            .split_whitespace()
            .find(|word| word.starts_with("ws://"))
            .expect("serve prints its URL")
            .to_string();
        Self {
            child,
            url,
            _banner: banner,
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment variable that turns this bench binary into the bare loop.
const BARE_LOOP_ROLE: &str = "WSCOPE_BENCH_BARE_LOOP_URL";

/// The practical limit: a bare tokio-tungstenite loop that counts frames, on
/// a single-threaded runtime in a process of its own (this binary run again),
/// timed like wscope from spawn to exit.
fn bare_loop(url: &str) -> (Duration, Duration, u64) {
    let start = Instant::now();
    let output = std::process::Command::new(std::env::current_exe().expect("bench path"))
        .env(BARE_LOOP_ROLE, url)
        .output()
        .expect("run the bare loop");
    let elapsed = start.elapsed();
    assert!(output.status.success(), "bare loop failed: {output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut fields = stdout.split_whitespace().map(|f| f.parse::<u64>().expect("a number"));
    let (frames, cpu_micros) = (fields.next().expect("frames"), fields.next().expect("CPU time"));
    (elapsed, Duration::from_micros(cpu_micros), frames)
}

fn websocat_installed() -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg("command -v websocat")
        .output()
        .is_ok_and(|found| found.status.success())
}

/// `websocat -n -t URL > /dev/null`, the issue's reference client.
fn websocat(url: &str) -> Option<Duration> {
    let start = Instant::now();
    let status = std::process::Command::new("websocat")
        .args(["-n", "-t", url])
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

fn run_bare_loop(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let frames = runtime.block_on(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        let mut frames = 0u64;
        while let Some(Ok(message)) = socket.next().await {
            if message.is_close() {
                break;
            }
            frames += 1;
        }
        frames
    });
    println!("{frames} {}", cpu_time(std::process::id()).as_micros());
}

fn main() {
    if let Ok(url) = std::env::var(BARE_LOOP_ROLE) {
        return run_bare_loop(&url);
    }
    // `WSCOPE_BENCH_ONLY=socketio` runs the Socket.IO comparison alone
    // (`=ingest` figure 1 alone, below).
    match std::env::var("WSCOPE_BENCH_ONLY").as_deref() {
        Ok("socketio") => return println!("8. socket.io     {}", socketio_figures()),
        Ok("pipe") => return println!("11. pipe send    {}", pipe_send_figures()),
        Ok("tabs") => return println!("12. 8 tabs       {}", tabs_figures()),
        Ok("stats") => return println!("14. wscope stats {}", stats_command_figures()),
        Ok("draw") => {
            println!("3. draw          {}", draw_figures());
            return println!("13. timeline    {}", timeline_figures());
        }
        _ => {}
    }
    // `cargo bench` passes --bench; nothing else to parse.
    let frames: u64 = std::env::var("WSCOPE_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("wscope end-to-end benchmark: {frames} text frames of {FRAME_SIZE} bytes, 80x24 pty");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );

    // 1 + 2: ingest time and peak memory. The server, the bare loop and
    // wscope each run in a process of their own; each side runs seven times,
    // alternating, and the medians are compared: a 2-core machine is noisy.
    let server = ServeProcess::start(frames);
    let expected = format!("↓{} ", frames + 1);
    let (mut bares, mut bare_cpus, mut ingests, mut cpus, mut peaks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ratios = Vec::new();
    let mut counted = true;
    let mut websocats = Vec::new();
    for _ in 0..RUNS {
        let (bare, bare_cpu, bare_frames) = bare_loop(&server.url);
        assert_eq!(bare_frames, frames);
        bares.push(bare);
        bare_cpus.push(bare_cpu);
        if websocat_installed() {
            websocats.extend(websocat(&server.url));
        }
        let wscope = spawn(&[&server.url, "--ping-interval", "0"]);
        let start = Instant::now();
        let closed = wscope.time_until("Closed (1000 flood done)", Duration::from_secs(120));
        ingests.push(start.elapsed());
        // Each run is paired with the bare loop run just before it, which
        // saw the same state of the machine.
        ratios.push(start.elapsed().as_secs_f64() / bare.as_secs_f64());
        counted &= closed.is_some() && wscope.text().contains(&expected);
        cpus.push(cpu_time(wscope.pid()));
        peaks.push(peak_rss_kib(wscope.pid()));
        quit(wscope);
    }
    let spread = |samples: &[Duration]| {
        let (low, high) = (samples.iter().min().copied(), samples.iter().max().copied());
        format!("{:.2?}–{:.2?}", low.unwrap_or_default(), high.unwrap_or_default())
    };
    let (bare_spread, ingest_spread) = (spread(&bares), spread(&ingests));
    let (bare, ingest, cpu, bare_cpu) = (
        median(&mut bares),
        median(&mut ingests),
        median(&mut cpus),
        median(&mut bare_cpus),
    );
    ratios.sort_by(f64::total_cmp);
    let paired_ratio = ratios[ratios.len() / 2];
    let peak_kib = peaks.iter().copied().max().unwrap_or(0);
    let websocats_run = websocats.len();
    let other = (!websocats.is_empty()).then(|| median(&mut websocats));
    println!();
    println!(
        "1. ingest        wscope {ingest:>8.2?} (range {ingest_spread}, CPU {cpu:.2?})   bare loop {bare:>8.2?} (range {bare_spread}, CPU {bare_cpu:.2?}), medians of {RUNS}"
    );
    // The issue's target: no slower than websocat; only when websocat is
    // missing does the bare loop (within 1.3x) stand in for it.
    let bare_ratio = ingest.as_secs_f64() / bare.as_secs_f64();
    match other {
        Some(websocat) => println!(
            "                 websocat {websocat:>8.2?} (median of {}): ratio {:.2}x (goal ≤ 1.00x)   bare loop ratio {bare_ratio:.2}x of the medians, {paired_ratio:.2}x median of paired runs, {:.2}x in CPU",
            websocats_run,
            ingest.as_secs_f64() / websocat.as_secs_f64(),
            cpu.as_secs_f64() / bare_cpu.as_secs_f64(),
        ),
        None => println!(
            "                 websocat not on PATH: bare loop ratio {bare_ratio:.2}x of the medians, {paired_ratio:.2}x median of paired runs (goal ≤ 1.30x), {:.2}x in CPU",
            cpu.as_secs_f64() / bare_cpu.as_secs_f64(),
        ),
    }
    println!(
        "                 {}",
        if counted {
            format!("exact count {expected}shown every run")
        } else {
            "COUNT NOT SHOWN".into()
        }
    );
    if std::env::var("WSCOPE_BENCH_ONLY").is_ok_and(|only| only == "ingest") {
        return;
    }
    // A key typed in the middle of the full-speed flood (untimed run).
    let mut wscope = spawn(&[&server.url, "--ping-interval", "0"]);
    wscope.time_until("Connected", Duration::from_secs(5));
    wscope.press(b"\x1b2"); // Alt-2: focus the composer
    std::thread::sleep(Duration::from_millis(250));
    let typed = Instant::now();
    wscope.press(b"K");
    let flood_key = wscope.time_until("K", Duration::from_secs(5)).map(|_| typed.elapsed());
    let still_flooding = !wscope.text().contains("Closed");
    quit(wscope);
    // wscope pipe on the same flood, output to /dev/null.
    let mut pipes = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["pipe", &server.url, "--keep-open", "--ping-interval", "0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run wscope pipe");
        assert!(status.success());
        pipes.push(start.elapsed());
    }
    let pipe = median(&mut pipes);
    // The TUI with --log on the same flood: every frame must reach the file.
    let log_path = std::env::temp_dir().join(format!("wscope-bench-{}.ndjson", std::process::id()));
    let logged = spawn(&[
        &server.url,
        "--ping-interval",
        "0",
        "--log",
        log_path.to_str().expect("UTF-8 temp path"),
    ]);
    let start = Instant::now();
    logged.time_until("Closed (1000 flood done)", Duration::from_secs(300));
    let log_time = start.elapsed();
    quit(logged);
    let log_text = std::fs::read(&log_path).unwrap_or_default();
    let log_frames = log_text
        .split(|b| *b == b'\n')
        .filter(|line| line.starts_with(br#"{"time""#) && line.windows(12).any(|w| w == br#""direction":"#))
        .count();
    let log_bytes = log_text.len();
    drop(log_text);
    let _ = std::fs::remove_file(&log_path);
    println!(
        "   pipe          wscope pipe {:>8.2?}, {:.2}x the bare loop (standard output to /dev/null)",
        pipe,
        pipe.as_secs_f64() / bare.as_secs_f64()
    );
    println!(
        "   --log         wscope with --log {log_time:>8.2?}, {log_frames} frames ({:.0} MiB) in the file",
        log_bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "2. peak memory   {:>8.1} MiB, highest of the {RUNS} runs (goal ≤ 96 MiB)",
        peak_kib as f64 / 1024.0
    );
    drop(server);

    // 4: terminal bandwidth under 10,000 frames/s for 10 s; 5: key latency during it.
    let stream = flood_server(&runtime, 100_000, Some(10_000));
    let mut wscope = spawn(&[&stream.url(), "--ping-interval", "0"]);
    wscope.time_until("Connected", Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(1));
    let before = wscope.bytes.load(Ordering::Relaxed);
    let window = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    wscope.press(b"\x1b2"); // Alt-2: focus the composer
    std::thread::sleep(Duration::from_millis(200));
    let mut latencies = Vec::new();
    for letter in ['Q', 'R', 'S', 'T', 'U'] {
        let typed = Instant::now();
        wscope.press(letter.to_string().as_bytes());
        let needle: String = latencies
            .iter()
            .map(|(c, _): &(char, Duration)| *c)
            .chain([letter])
            .collect();
        if wscope.time_until(&needle, Duration::from_secs(2)).is_some() {
            latencies.push((letter, typed.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(3));
    let rate = (wscope.bytes.load(Ordering::Relaxed) - before) as f64 / window.elapsed().as_secs_f64() / 1024.0;
    quit(wscope);
    drop(stream);
    println!("4. terminal I/O  {rate:>8.1} KiB/s under 10,000 frames/s (goal ≤ 64 KiB/s)");
    let worst = latencies.iter().map(|(_, d)| *d).max().unwrap_or(Duration::MAX);
    println!(
        "5. key latency   {worst:>8.2?} worst of {} keys typed during a 10,000/s stream; {} during the full-speed flood (goal ≤ 50 ms)",
        latencies.len(),
        match flood_key {
            Some(d) if still_flooding => format!("{d:.2?}"),
            Some(d) => format!("{d:.2?} (the flood had ended)"),
            None => "NOT SHOWN".to_string(),
        }
    );

    // 6: idle CPU over 10 s while connected (with the default 5 s ping).
    let idle = runtime
        .block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        if let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await {
                            while let Some(Ok(_)) = socket.next().await {}
                        }
                    });
                }
            });
            Ok::<_, std::io::Error>(addr)
        })
        .unwrap();
    let wscope = spawn(&[&format!("ws://{idle}/")]);
    wscope.time_until("Connected", Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(1));
    let cpu_before = cpu_time(wscope.pid());
    std::thread::sleep(Duration::from_secs(10));
    let cpu = cpu_time(wscope.pid()) - cpu_before;
    quit(wscope);
    println!(
        "6. idle CPU      {:>8.2?} of CPU time over 10 s connected and idle ({:.2}%)",
        cpu,
        cpu.as_secs_f64() / 10.0 * 100.0
    );

    // 7: start-up to first paint.
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let wscope = spawn(&[]);
        if wscope.time_until("URL", Duration::from_secs(5)).is_some() {
            firsts.push(started.elapsed());
        }
        quit(wscope);
    }
    firsts.sort();
    println!(
        "7. start-up      {:>8.2?} median to first paint (goal ≤ 50 ms)",
        firsts.get(firsts.len() / 2).copied().unwrap_or_default()
    );

    // 3: one draw with 1,000,000 frames held (TestBackend; see also benches/render.rs).
    println!("3. draw          {}", draw_figures());
    println!("8. socket.io     {}", socketio_figures());
    println!("11. pipe send    {}", pipe_send_figures());
    println!("12. 8 tabs       {}", tabs_figures());
    println!("13. timeline    {}", timeline_figures());
}

/// 8 tabs, each fed 100,000 frames at 10,000 a second, TUI live at 80x24,
/// against one tab fed the same: every tab's count at the end, the worst
/// of 5 typed keys, bytes written to the terminal, and peak RSS.
fn tabs_figures() -> String {
    const PER_TAB: u64 = 100_000;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let run = |tabs: usize| -> (u64, Option<f64>, Option<Duration>, usize) {
        let server = flood_server(&runtime, PER_TAB, Some(10_000));
        let url = server.url();
        let mut args: Vec<&str> = std::iter::repeat_n(url.as_str(), tabs).collect();
        args.extend(["--ping-interval", "0"]);
        let mut wscope = spawn(&args);
        wscope.time_until("Connected", Duration::from_secs(5));
        std::thread::sleep(Duration::from_secs(1));
        let before = wscope.bytes.load(Ordering::Relaxed);
        let window = Instant::now();
        std::thread::sleep(Duration::from_secs(3));
        wscope.press(b"\x1b2"); // Alt-2: focus the composer
        std::thread::sleep(Duration::from_millis(200));
        let mut worst: Option<Duration> = Some(Duration::ZERO);
        let mut typed_so_far = String::new();
        for letter in ['Q', 'R', 'S', 'T', 'U'] {
            let typed = Instant::now();
            wscope.press(letter.to_string().as_bytes());
            typed_so_far.push(letter);
            match wscope.time_until(&typed_so_far, Duration::from_secs(2)) {
                Some(_) => worst = worst.map(|w| w.max(typed.elapsed())),
                None => worst = None,
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        let rate = (wscope.bytes.load(Ordering::Relaxed) - before) as f64 / window.elapsed().as_secs_f64() / 1024.0;
        // The floods end after 10 s; then each tab's count is read off its
        // status bar (the close frame makes it one more).
        std::thread::sleep(Duration::from_secs(8));
        let exact = format!("↓{}", PER_TAB + 1);
        let mut counted = 0;
        for _ in 0..tabs {
            if wscope.time_until(&exact, Duration::from_secs(3)).is_some() {
                counted += 1;
            }
            wscope.press(b"\x1b[1;3C"); // Alt-Right: the next tab
            std::thread::sleep(Duration::from_millis(300));
        }
        let rss = peak_rss_kib(wscope.pid());
        quit(wscope);
        drop(server);
        (rss, Some(rate), worst, counted)
    };
    let (one_rss, _, _, _) = run(1);
    let (rss, rate, worst, counted) = run(8);
    format!(
        "{counted} of 8 tabs counted all {PER_TAB} frames (+ the close); worst typed key {}; terminal {:.1} KiB/s; peak RSS {:.1} MiB against {:.1} MiB with one tab (+{:.1} MiB; goals: 8 of 8, ≤ 50 ms, ≤ 64 KiB/s, ≤ +16 MiB)",
        worst.map_or("NOT SHOWN".to_string(), |d| format!("{d:.2?}")),
        rate.unwrap_or_default(),
        rss as f64 / 1024.0,
        one_rss as f64 / 1024.0,
        (rss as f64 - one_rss as f64) / 1024.0
    )
}

/// An echo server that answers as fast as it reads: every message ready is
/// fed back, then one flush.
async fn echo_server() -> String {
    use futures_util::SinkExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let (mut sink, mut incoming) = socket.split();
                while let Some(Ok(message)) = incoming.next().await {
                    let mut next = Some(message);
                    while let Some(message) = next.take() {
                        if message.is_text() && sink.feed(message).await.is_err() {
                            return;
                        }
                        if let Some(Some(Ok(more))) = futures_util::FutureExt::now_or_never(incoming.next()) {
                            next = Some(more);
                        }
                    }
                    if sink.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("ws://{addr}/")
}

/// 300,000 lines through `wscope pipe` to an echo server, which echoes
/// each: the time from spawn until every echo is printed and the
/// connection closed (`--linger 0.2`), and websocat's when it is on PATH.
fn pipe_send_figures() -> String {
    const LINES: usize = 300_000;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(echo_server());
    let input: String = (0..LINES).map(|i| format!("line {i}\n")).collect();
    let run = |program: &str, args: &[&str]| -> (Duration, usize) {
        let start = Instant::now();
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let text = input.clone();
        let feeder = std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut stdin, text.as_bytes());
        });
        let output = child.wait_with_output().expect("wait");
        let _ = feeder.join();
        let echoes = output
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"line "))
            .count();
        (start.elapsed(), echoes)
    };
    let mut times = Vec::new();
    let mut echoed = 0;
    for _ in 0..3 {
        let (time, echoes) = run(
            env!("CARGO_BIN_EXE_wscope"),
            &["pipe", &url, "--linger", "0.2", "--ping-interval", "0"],
        );
        times.push(time);
        echoed = echoes;
    }
    let wscope = median(&mut times);
    let websocat = websocat_installed().then(|| {
        let mut runs: Vec<(Duration, usize)> = (0..3).map(|_| run("websocat", &["-t", &url])).collect();
        runs.sort();
        runs[1]
    });
    format!(
        "{LINES} lines echoed: wscope pipe {wscope:.2?} (median of 3, {echoed} echoes printed, 0.2 s of it the linger){}",
        match websocat {
            Some((w, echoes)) => format!(
                ", websocat -t {w:.2?} (median of 3, {echoes} echoes printed): {:.2}x websocat's time (goal ≤ 1.00x)",
                wscope.as_secs_f64() / w.as_secs_f64()
            ),
            None => ", websocat not on PATH".to_string(),
        }
    )
}

/// The same flood of Socket.IO events (`42["tick","…"]`, 100 bytes each)
/// taken in by the TUI speaking Socket.IO and speaking raw WebSocket,
/// alternating runs; set `WSCOPE_BENCH_SOCKETIO_EVENTS` to change the
/// count (default 1,000,000).
fn socketio_figures() -> String {
    const SIO_RUNS: usize = 5;
    let events: u64 = std::env::var("WSCOPE_BENCH_SOCKETIO_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let server = ServeProcess::start_with(events, &["--socketio"]);
    // The open packet, the CONNECT and the events.
    let expected = format!("↓{} ", events + 3);
    let (mut raws, mut sios, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut counted = true;
    for _ in 0..SIO_RUNS {
        let mut timed = |protocol: &str| {
            let wscope = spawn(&[&server.url, "--ping-interval", "0", "--protocol", protocol]);
            let start = Instant::now();
            let closed = wscope.time_until("Closed (1000 flood done)", Duration::from_secs(120));
            let elapsed = start.elapsed();
            counted &= closed.is_some() && wscope.text().contains(&expected);
            quit(wscope);
            elapsed
        };
        let raw = timed("raw");
        let sio = timed("socketio");
        ratios.push(sio.as_secs_f64() / raw.as_secs_f64());
        raws.push(raw);
        sios.push(sio);
    }
    ratios.sort_by(f64::total_cmp);
    let (raw, sio) = (median(&mut raws), median(&mut sios));
    format!(
        "{events} events: socket.io {sio:.2?}, raw {raw:.2?} (medians of {SIO_RUNS}): {:.2}x of the medians, {:.2}x median of paired runs (goal ≤ 1.30x){}",
        sio.as_secs_f64() / raw.as_secs_f64(),
        ratios[ratios.len() / 2],
        if counted { "" } else { "; COUNT NOT SHOWN" }
    )
}

fn draw_figures() -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use wscope::app::{App, InitialRequest};
    use wscope::conn::ConnEvent;
    use wscope::record::{Direction, FrameKind, FrameRecord};
    let mut app = App::new(InitialRequest::default(), None);
    // Caps raised so that all of them are held, not the default 100,000.
    app.session_mut().frames = wscope::frames::FrameLog::new(1_000_000, usize::MAX);
    for i in 0..1_000_000u64 {
        app.on_conn_event(ConnEvent::Frame(FrameRecord {
            at: std::time::SystemTime::now(),
            direction: Direction::Received,
            kind: FrameKind::Text,
            payload: bytes::Bytes::from(format!(r#"{{"type":"tick","seq":{i}}}"#)),
        }));
    }
    let mut parts = Vec::new();
    for filtered in [false, true] {
        if filtered {
            // One frame in ten ends in 7.
            app.apply_filter_text(r"7\}$").expect("valid regex");
            assert_eq!(app.session().visible().len(), 100_000);
        }
        for (w, h) in [(80u16, 24u16), (200, 60)] {
            wscope::ui::fit_app(&mut app, ratatui::layout::Rect::new(0, 0, w, h));
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            let runs = 200;
            let start = Instant::now();
            for _ in 0..runs {
                terminal.draw(|f| wscope::ui::render(f, &app, Instant::now())).unwrap();
            }
            parts.push(format!(
                "{w}x{h}{} {:.2?}",
                if filtered { " filtered" } else { "" },
                start.elapsed() / runs
            ));
        }
    }
    format!(
        "{} per draw with {} held (goal ≤ 1 ms)",
        parts.join(", "),
        app.session().frames.len()
    )
}

/// The merged timeline (Alt-m) over 8 tabs holding 1,000,000 frames in
/// all: a draw, following and paused deep in the past, unfiltered and
/// filtered on every tab, and a selection step.
fn timeline_figures() -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use wscope::action::Action;
    use wscope::app::{App, InitialRequest};
    use wscope::conn::ConnEvent;
    use wscope::record::{Direction, FrameKind, FrameRecord};
    const TABS: u64 = 8;
    const FRAMES: u64 = 1_000_000;
    let mut app = App::new(InitialRequest::default(), None);
    app.session_mut().frames = wscope::frames::FrameLog::new(FRAMES as usize, usize::MAX);
    let mut ids = vec![app.active_tab_id()];
    ids.extend((1..TABS).map(|_| app.new_tab()));
    let start = std::time::SystemTime::now();
    for i in 0..FRAMES {
        let tab = ids[(i * 7 % TABS) as usize];
        app.on_tab_event(
            tab,
            ConnEvent::Frame(FrameRecord {
                at: start + Duration::from_micros(i),
                direction: Direction::Received,
                kind: FrameKind::Text,
                payload: bytes::Bytes::from(format!(r#"{{"type":"tick","seq":{i}}}"#)),
            }),
        );
    }
    let held: usize = app.merged(false).len();
    app.update(Action::ToggleTimeline);
    app.update(Action::FocusFrames);
    let time = |app: &mut App, runs: u32, what: &mut dyn FnMut(&mut App)| {
        let start = Instant::now();
        for _ in 0..runs {
            what(app);
        }
        start.elapsed() / runs
    };
    let mut parts = Vec::new();
    for filtered in [false, true] {
        if filtered {
            app.apply_filter_text(r"7\}$").expect("valid regex");
        }
        for (w, h) in [(80u16, 24u16), (200, 60)] {
            wscope::ui::fit_app(&mut app, ratatui::layout::Rect::new(0, 0, w, h));
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            let mut draw = |app: &mut App| {
                terminal.draw(|f| wscope::ui::render(f, app, Instant::now())).unwrap();
            };
            let following = time(&mut app, 100, &mut draw);
            // Paused half-way back: the oldest row, then pages down.
            app.update(Action::ScrollTop);
            for _ in 0..100 {
                app.update(Action::PageDown);
            }
            let paused = time(&mut app, 100, &mut draw);
            app.update(Action::ScrollBottom);
            parts.push(format!(
                "{w}x{h}{} {following:.2?} following, {paused:.2?} paused",
                if filtered { " filtered" } else { "" }
            ));
        }
    }
    app.update(Action::ScrollUp);
    let step = time(&mut app, 1_000, &mut |app: &mut App| app.update(Action::ScrollUp));
    let moved = app
        .timeline
        .as_ref()
        .and_then(|view| view.scroll.selected())
        .map_or(0, |key| app.merged(true).count_after(key));
    assert_eq!(moved, 1_000, "each step moved the selection one row");
    format!(
        "{} per draw; {step:.2?} per selection step; {TABS} tabs, {held} frames held (goal ≤ 1 ms)",
        parts.join(", ")
    )
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// `wscope stats` over a 1,000,000-frame NDJSON log (ticks of four types,
/// a sent request with its reply every hundred frames): the median of
/// three runs, text and JSON.
fn stats_command_figures() -> String {
    const FRAMES: usize = 1_000_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feed.ndjson");
    let mut text = String::with_capacity(FRAMES * 150);
    let kinds = ["tick", "trade", "book", "status"];
    for i in 0..FRAMES {
        let micros = 1_700_000_000_000_000u64 + i as u64 * 1_000;
        let time = chrono::DateTime::from_timestamp_micros(micros as i64).expect("a time");
        let stamp = time.format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let (direction, payload) = if i % 100 == 0 {
            ("sent", format!(r#"{{"type":"subscribe","id":{i}}}"#))
        } else if i % 100 == 1 {
            ("received", format!(r#"{{"id":{},"ok":true}}"#, i - 1))
        } else {
            (
                "received",
                format!(r#"{{"type":"{}","seq":{i},"price":101.25}}"#, kinds[i % 4]),
            )
        };
        let payload = serde_json::to_string(&payload).expect("a JSON string");
        text.push_str(&format!(
            r#"{{"time":"{stamp}","direction":"{direction}","opcode":"text","text":{payload}}}"#
        ));
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write the log");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let time = |json: bool| {
        let mut runs: Vec<Duration> = (0..3)
            .map(|_| {
                let start = Instant::now();
                let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"));
                command.arg("stats").arg(&path);
                if json {
                    command.arg("--json");
                }
                let out = command.output().expect("run wscope stats");
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                start.elapsed()
            })
            .collect();
        median(&mut runs)
    };
    let (text_time, json_time) = (time(false), time(true));
    format!(
        "{FRAMES} frames ({} MB of NDJSON): {text_time:.2?} text, {json_time:.2?} --json (target: 2 s)",
        size / 1_000_000
    )
}
