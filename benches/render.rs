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
use wscope::conn::{ConnEvent, ConnState, Direction, FrameKind, FrameRecord};
use wscope::frames::FrameLog;
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
    app.frames = FrameLog::new(frames.max(1), usize::MAX);
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
        app.frames = FrameLog::new(100_000, usize::MAX);
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

criterion_group!(benches, draw, ingest, filter_update);
criterion_main!(benches);
