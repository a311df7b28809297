//! Draw cost of the whole screen with small and huge histories, and the cost
//! of taking frames into the log. Run with `cargo bench`; criterion prints
//! the figures.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wscope::app::{App, InitialRequest};
use wscope::conn::{ConnEvent, ConnState};
use wscope::frames::FrameLog;
use wscope::record::{Direction, FrameKind, FrameRecord};
use wscope::ui;

fn record(i: usize) -> FrameRecord {
    FrameRecord {
        at: SystemTime::now(),
        direction: if i.is_multiple_of(3) {
            Direction::Sent
        } else {
            Direction::Received
        },
        kind: FrameKind::Text,
        payload: Bytes::from(format!(
            r#"{{"type":"tick","seq":{i},"symbol":"WSC","price":101.25,"pad":"{:040}"}}"#,
            i
        )),
    }
}

fn app_with(frames: usize) -> App {
    let mut app = App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9001/feed".into(),
            message: r#"{"message":"Hello world"}"#.into(),
            ..InitialRequest::default()
        },
        Some(Duration::from_secs(5)),
    );
    app.session_mut().frames = FrameLog::new(frames.max(1), usize::MAX);
    app.on_conn_event(ConnEvent::state(ConnState::Open {
        since: Instant::now(),
        protocol: None,
    }));
    for i in 0..frames {
        app.on_conn_event(ConnEvent::Frame(record(i)));
    }
    app
}

/// A regex filter that keeps about one frame in ten.
const FILTER: &str = "seq\":[0-9]*7,";

fn draw(c: &mut Criterion) {
    let mut group = c.benchmark_group("draw");
    for frames in [1_000, 1_000_000] {
        let mut app = app_with(frames);
        for filtered in [false, true] {
            if filtered {
                app.apply_filter_text(FILTER).expect("valid filter");
            }
            for (width, height) in [(80u16, 24u16), (200, 60)] {
                ui::fit_app(&mut app, ratatui::layout::Rect::new(0, 0, width, height));
                let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
                let name = format!("{width}x{height}{}", if filtered { " filtered" } else { "" });
                group.bench_with_input(BenchmarkId::new(name, frames), &frames, |b, _| {
                    b.iter(|| {
                        terminal
                            .draw(|f| ui::render(f, black_box(&app), Instant::now()))
                            .expect("draw");
                    })
                });
            }
        }
        // The stats view reads the figures only: its cost is the same
        // after a thousand frames as after a million (target: 2 ms).
        app.update(wscope::action::Action::Stats);
        for (width, height) in [(80u16, 24u16), (200, 60)] {
            let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
            group.bench_with_input(
                BenchmarkId::new(format!("{width}x{height} stats view"), frames),
                &frames,
                |b, _| {
                    b.iter(|| {
                        terminal
                            .draw(|f| ui::render(f, black_box(&app), Instant::now()))
                            .expect("draw");
                    })
                },
            );
        }
        app.update(wscope::action::Action::StatsClose);
    }
    group.finish();
}

/// What an active filter adds to taking one frame in: the match test and
/// the bookkeeping of matches (10k frames per iteration into a full log).
fn filter_update(c: &mut Criterion) {
    let records: Vec<FrameRecord> = (0..10_000).map(record).collect();
    let mut group = c.benchmark_group("take 10k frames into a full 100k log");
    for filtered in [false, true] {
        let mut app = app_with(0);
        app.session_mut().frames = FrameLog::new(100_000, usize::MAX);
        if filtered {
            app.apply_filter_text(FILTER).expect("valid filter");
        }
        for r in records.iter().cycle().take(100_000) {
            app.on_conn_event(ConnEvent::Frame(r.clone()));
        }
        let name = if filtered { "with a regex filter" } else { "no filter" };
        group.bench_function(name, |b| {
            b.iter(|| app.on_conn_event(ConnEvent::Frames(black_box(records.clone()))))
        });
    }
    group.finish();
}

/// The figures' share of taking a batch in: each frame's type read, and
/// the batch counted in runs into its tab's figures and the merged ones
/// (10k frames per iteration; JSON with a `.type`, each frame stamped on
/// its own and a third of them sent, and floods of JSON and of plain
/// text, received, sharing one stamp as a batch's frames do).
fn figures(c: &mut Criterion) {
    use wscope::stats::{Feed, Stats};
    let json: Vec<FrameRecord> = (0..10_000).map(record).collect();
    let at = SystemTime::now();
    let plain: Vec<FrameRecord> = (0..10_000)
        .map(|i| FrameRecord {
            at,
            direction: Direction::Received,
            kind: FrameKind::Text,
            payload: Bytes::from(format!("{i:0100}")),
        })
        .collect();
    let json_flood: Vec<FrameRecord> = json
        .iter()
        .map(|frame| FrameRecord {
            at,
            direction: Direction::Received,
            ..frame.clone()
        })
        .collect();
    let mut group = c.benchmark_group("figures: count 10k frames");
    for (name, records) in [
        ("JSON, a stamp each, a third sent", &json),
        ("JSON flood, one stamp", &json_flood),
        ("plain text flood, one stamp", &plain),
    ] {
        let (mut feed, mut tab, mut merged) = (Feed::default(), Stats::default(), Stats::default());
        group.bench_function(name, |b| {
            b.iter(|| {
                feed.runs(0, 0, black_box(records), |run| {
                    tab.add_run(run);
                    merged.add_run(run);
                })
            })
        });
    }
    group.finish();
}

fn ingest(c: &mut Criterion) {
    let records: Vec<FrameRecord> = (0..10_000).map(record).collect();
    c.bench_function("frame log: push 10k frames into a full 100k log", |b| {
        let mut log = FrameLog::default();
        for r in records.iter().cycle().take(100_000) {
            log.push_frame(r.clone());
        }
        b.iter(|| {
            for r in &records {
                log.push_frame(black_box(r.clone()));
            }
        })
    });
}

/// A 32 MB JSON order book, and 32 MB of binary.
fn large_payloads() -> [(&'static str, FrameRecord); 2] {
    let mut book = String::from(r#"{"sym":"BIG","bids":["#);
    let mut level = 0u64;
    while book.len() < 32 << 20 {
        book.push_str(&format!(
            "[{}.{:02},{}],",
            10_000 + level % 10_000,
            level % 100,
            level * 7 % 1000
        ));
        level += 1;
    }
    book.pop();
    book.push_str("]}");
    let binary: Vec<u8> = (0..32u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let frame = |kind, payload| FrameRecord {
        at: SystemTime::now(),
        direction: Direction::Received,
        kind,
        payload,
    };
    [
        ("32 MB JSON", frame(FrameKind::Text, Bytes::from(book))),
        ("32 MB binary", frame(FrameKind::Binary, Bytes::from(binary))),
    ]
}

/// Opening the detail view of a 32 MB frame (its first screen), a page down
/// in its middle, and End (the whole index).
fn large_detail(c: &mut Criterion) {
    use wscope::payload::{BinaryView, body};
    let decoder = wscope::decode::PayloadDecoder::default();
    let mut group = c.benchmark_group("detail view");
    group.sample_size(10);
    for (name, frame) in large_payloads() {
        group.bench_function(format!("{name}: open, first screen"), |b| {
            b.iter(|| {
                let mut shown = body(black_box(&frame), BinaryView::default(), &decoder).body;
                shown.index_to(256);
                black_box(shown.lines(0, 60))
            })
        });
        let mut opened = body(&frame, BinaryView::default(), &decoder).body;
        opened.index_all();
        let middle = opened.len() / 2;
        group.bench_function(format!("{name}: page down in the middle"), |b| {
            b.iter(|| black_box(opened.lines(black_box(middle + 60), 60)))
        });
        group.bench_function(format!("{name}: End (index every line)"), |b| {
            b.iter(|| {
                let mut shown = body(black_box(&frame), BinaryView::default(), &decoder).body;
                shown.index_all();
                black_box(shown.lines(shown.len().saturating_sub(60), 60))
            })
        });
    }
    group.finish();
}

/// 100k MessagePack frames taken into the log with a regex filter active,
/// which reads each binary frame decoded: `--decode auto` against `none`.
fn decode_ingest(c: &mut Criterion) {
    let records: Vec<FrameRecord> = (0..100_000)
        .map(|i| FrameRecord {
            at: SystemTime::now(),
            direction: Direction::Received,
            kind: FrameKind::Binary,
            payload: Bytes::from(
                rmp_serde::to_vec_named(&serde_json::json!({"sym": "MSG", "seq": i, "px": 101.25, "qty": 3}))
                    .expect("msgpack"),
            ),
        })
        .collect();
    let mut group = c.benchmark_group("take 100k MessagePack frames, regex filter on");
    group.sample_size(10);
    for choice in [wscope::decode::DecodeChoice::None, wscope::decode::DecodeChoice::Auto] {
        let mut app = app_with(0);
        app.session_mut().frames = FrameLog::new(100_000, usize::MAX);
        app.session_mut().payloads = wscope::decode::PayloadDecoder::new(choice, None);
        app.apply_filter_text("seq.:[0-9]*7,").expect("valid filter");
        group.bench_function(format!("--decode {choice:?}").to_lowercase(), |b| {
            b.iter(|| {
                for batch in records.chunks(1024) {
                    app.on_conn_event(ConnEvent::Frames(black_box(batch.to_vec())));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    draw,
    ingest,
    figures,
    filter_update,
    large_detail,
    decode_ingest
);
criterion_main!(benches);
