//! `wscope stats FILE`: the stats view's tables for a recording (NDJSON,
//! HAR, or a proxy's capture log), as text or as one JSON object.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::emit;
use crate::app::pairing::Pairing;
use crate::format;
use crate::protocol::Protocol;
use crate::recording::Recording;
use crate::stats::classify::{Classifier, GroupBy};
use crate::stats::latency::Percentiles;
use crate::stats::sizes::bucket_range;
use crate::stats::{Feed, Stats};

/// Rows of the types table printed (the JSON has them all).
const TYPES_PRINTED: usize = 40;

/// What `stats` was asked for.
pub struct StatsArgs<'a> {
    pub file: &'a Path,
    pub entry: Option<usize>,
    pub group_by: Option<&'a str>,
    pub json: bool,
}

pub fn run(args: StatsArgs) -> anyhow::Result<u8> {
    let recordings = crate::recording::load(args.file)?;
    let chosen = match args.entry {
        None => recordings,
        Some(_) => {
            let shown = args.file.display().to_string();
            vec![
                crate::recording::choose(recordings, args.entry, &shown)
                    .map_err(|list| anyhow::anyhow!("{}", list.trim_end()))?,
            ]
        }
    };
    let group_by = match args.group_by {
        Some(text) => Some(Arc::new(
            GroupBy::compile(text).map_err(|e| anyhow::anyhow!("--group-by: {e}"))?,
        )),
        None => None,
    };
    let mut total = Stats::default();
    for recording in &chosen {
        total.merge(&figures_of(recording, group_by.clone()));
    }
    let source = args.file.display().to_string();
    let grouping = group_by.as_ref().map(|g| g.text.clone());
    if args.json {
        let value = as_json(&total, &source, chosen.len(), grouping.as_deref());
        emit(format!("{}\n", crate::sanitize::json(&value.to_string())).as_bytes())?;
    } else {
        let text = as_text(&total, &source, chosen.len(), grouping.as_deref());
        emit(crate::sanitize::text(&text).as_bytes())?;
    }
    Ok(0)
}

/// A recording's figures, its frames paired and typed as its protocol
/// (read off its URL and subprotocol) does.
pub fn figures_of(recording: &Recording, group_by: Option<Arc<GroupBy>>) -> Stats {
    let protocol = Protocol::recorded(&recording.url, recording.subprotocol.as_deref());
    let mut pairing = Pairing::for_protocol(protocol.kind);
    let payloads = crate::decode::PayloadDecoder::default();
    let mut feed = Feed::new(Classifier::new(protocol, group_by));
    let mut stats = Stats::default();
    for (seq, frame) in (0u64..).zip(&recording.frames) {
        pairing.observe_decoded(seq, frame, Some(&payloads));
        let reply_to = pairing.by_response.get(&seq).copied();
        stats.add(&feed.sample(seq, frame, reply_to));
        pairing.forget_before(seq.saturating_sub(100_000));
    }
    stats
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles_json(p: &Percentiles) -> Value {
    if p.count == 0 {
        return Value::Null;
    }
    crate::flow::report::percentiles_json(p)
}

fn as_json(stats: &Stats, source: &str, connections: usize, grouping: Option<&str>) -> Value {
    let total = stats.frames.max(1) as f64;
    let types: Vec<Value> = stats
        .types
        .by_count()
        .iter()
        .map(|row| {
            json!({
                "type": row.name,
                "frames": row.frames(),
                "frames_in": row.frames_in,
                "frames_out": row.frames_out,
                "share": row.frames() as f64 / total,
                "per_second": stats.per_second(row.frames()),
                "bytes": row.bytes,
                "mean_size": row.mean_size(),
                "max_size": row.max_size,
                "reply_latency_ms": row.latency.as_ref().map(|l| percentiles_json(&l.percentiles())),
            })
        })
        .collect();
    let sizes: Vec<Value> = stats
        .sizes
        .used()
        .iter()
        .map(|(bucket, frames)| {
            let (low, high) = bucket_range(*bucket);
            json!({ "low": low, "high": high, "frames": frames })
        })
        .collect();
    let first = stats.first_at.unwrap_or(0);
    let gaps: Vec<Value> = stats
        .gaps
        .longest()
        .iter()
        .map(|gap| {
            json!({
                "ms": gap.length as f64 / 1000.0,
                "from_ms": (gap.ended_at - gap.length - first) as f64 / 1000.0,
                "to_ms": (gap.ended_at - first) as f64 / 1000.0,
            })
        })
        .collect();
    let (_, width, buckets) = stats.rate.span();
    let (frames_in, frames_out): (u64, u64) = stats
        .types
        .by_count()
        .iter()
        .fold((0, 0), |(i, o), row| (i + row.frames_in, o + row.frames_out));
    json!({
        "file": source,
        "connections": connections,
        "frames": stats.frames,
        "frames_in": frames_in,
        "frames_out": frames_out,
        "bytes": stats.bytes,
        "span_ms": ms(stats.span()),
        "per_second": stats.per_second(stats.frames),
        "group_by": grouping,
        "types": types,
        "reply_latency_ms": percentiles_json(&stats.replies.percentiles()),
        "sizes": sizes,
        "gaps": gaps,
        "clock_jumps": stats.gaps.clock_jumps,
        "rate": {
            "bucket_ms": width as f64 / 1000.0,
            "frames_in": buckets.iter().map(|b| b.frames_in).collect::<Vec<_>>(),
            "frames_out": buckets.iter().map(|b| b.frames_out).collect::<Vec<_>>(),
            "bytes_in": buckets.iter().map(|b| b.bytes_in).collect::<Vec<_>>(),
            "bytes_out": buckets.iter().map(|b| b.bytes_out).collect::<Vec<_>>(),
        },
    })
}

fn bar(share: f64, width: usize) -> String {
    "█".repeat((share.clamp(0.0, 1.0) * width as f64).round() as usize)
}

fn as_text(stats: &Stats, source: &str, connections: usize, grouping: Option<&str>) -> String {
    let mut out = format!(
        "{source}: {}, {}, {} over {} ({:.2} frames/s)\n",
        format::count(connections as u64, "connection"),
        format::count(stats.frames, "frame"),
        format::bytes(stats.bytes),
        format::elapsed(stats.span()),
        stats.per_second(stats.frames)
    );
    if stats.frames == 0 {
        out.push_str("no frames\n");
        return out;
    }
    let rows = stats.types.by_count();
    let total = stats.frames.max(1) as f64;
    out.push_str(&format!(
        "\nTypes ({})\n",
        grouping.map_or("by protocol and .type".to_string(), |g| format!("by {g}"))
    ));
    out.push_str(&format!(
        "  {:<24} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "type", "frames", "share", "rate/s", "in", "out", "mean", "max", "p50", "p99"
    ));
    for row in rows.iter().take(TYPES_PRINTED) {
        let latency = row.latency.as_ref().map(|l| l.percentiles());
        let figure = |pick: fn(&Percentiles) -> Duration| latency.map_or(String::new(), |p| format::duration(pick(&p)));
        let name: String = crate::sanitize::one_line(&row.name).chars().take(24).collect();
        out.push_str(&format!(
            "  {name:<24} {:>9} {:>5.1}% {:>9.3} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            row.frames(),
            row.frames() as f64 * 100.0 / total,
            stats.per_second(row.frames()),
            row.frames_in,
            row.frames_out,
            format::bytes(row.mean_size()),
            format::bytes(row.max_size),
            figure(|p| p.p50),
            figure(|p| p.p99),
        ));
    }
    if rows.len() > TYPES_PRINTED {
        out.push_str(&format!(
            "  … {} more (--json has them all)\n",
            rows.len() - TYPES_PRINTED
        ));
    }
    let replies = stats.replies.percentiles();
    out.push_str("\nLatency\n");
    if replies.count == 0 {
        out.push_str("  request→reply pairs: none\n");
    } else {
        out.push_str(&format!(
            "  request→reply pairs: {}\n",
            crate::flow::report::percentiles_text(&replies)
                .replacen(" runs", "", 1)
                .replacen(" run", "", 1)
        ));
    }
    out.push_str("\nSizes\n");
    let used = stats.sizes.used();
    let most = used.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    for (bucket, frames) in &used {
        let (low, high) = bucket_range(*bucket);
        let range = if low == high {
            format::bytes(low)
        } else {
            format!("{}–{}", format::bytes(low), format::bytes(high))
        };
        out.push_str(&format!(
            "  {range:<22} {frames:>9} {}\n",
            bar(*frames as f64 / most as f64, 40)
        ));
    }
    out.push_str("\nLongest silences\n");
    let first = stats.first_at.unwrap_or(0);
    let since = |micros: i64| format::duration(Duration::from_micros(u64::try_from(micros - first).unwrap_or(0)));
    if stats.gaps.longest().is_empty() {
        out.push_str("  none\n");
    }
    for gap in stats.gaps.longest() {
        out.push_str(&format!(
            "  {:>9}  from +{} to +{}\n",
            format::duration(Duration::from_micros(u64::try_from(gap.length).unwrap_or(0))),
            since(gap.ended_at - gap.length),
            since(gap.ended_at)
        ));
    }
    if stats.gaps.clock_jumps > 0 {
        out.push_str(&format!(
            "  ({} stamped before the frame before them; not counted as silences)\n",
            format::count(stats.gaps.clock_jumps, "frame")
        ));
    }
    out
}
