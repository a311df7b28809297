//! Human-readable figures shared by the UI and connection-event notes.
//!
//! May import: nothing from this crate.

use std::time::{Duration, SystemTime};

/// A latency or duration, with a unit that keeps 2–3 significant digits.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 100_000 {
        format!("{:.1}ms", micros as f64 / 1_000.0)
    } else if micros < 1_000_000 {
        format!("{}ms", micros / 1_000)
    } else if micros < 60_000_000 {
        format!("{:.2}s", micros as f64 / 1_000_000.0)
    } else {
        elapsed(d)
    }
}

/// `n` of a thing, its noun in the plural unless there is one: `1 frame`,
/// `2 frames`, `0 frames`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A count in at most five characters: `999`, `12.3k`, `4.56M`.
pub fn compact(n: u64) -> String {
    if n < 10_000 {
        return n.to_string();
    }
    let (value, unit) = if n < 1_000_000 {
        (n as f64 / 1e3, "k")
    } else if n < 1_000_000_000 {
        (n as f64 / 1e6, "M")
    } else {
        (n as f64 / 1e9, "G")
    };
    if value < 100.0 {
        format!("{value:.1}{unit}")
    } else {
        format!("{value:.0}{unit}")
    }
}

/// A rate per second that keeps 3 significant digits in 7 characters:
/// `0.25/s`, `12.5/s`, `114/s`, `12.3k/s`.
pub fn rate(per_second: f64) -> String {
    if !per_second.is_finite() || per_second <= 0.0 {
        "0/s".to_string()
    } else if per_second < 10.0 {
        format!("{per_second:.2}/s")
    } else if per_second < 100.0 {
        format!("{per_second:.1}/s")
    } else {
        format!("{}/s", compact(per_second.round() as u64))
    }
}

/// A byte count in binary units.
pub fn bytes(n: u64) -> String {
    let mut out = String::new();
    bytes_into(n, &mut out);
    out
}

/// [`bytes`], appended to `out`: a headless line is built without an
/// allocation a field.
pub fn bytes_into(n: u64, out: &mut String) {
    use std::fmt::Write;
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        out.push_str(itoa::Buffer::new().format(n));
        out.push_str(" B");
        return;
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // Writing to a String cannot fail.
    let _ = if value < 10.0 {
        write!(out, "{value:.1} {}", UNITS[unit])
    } else {
        write!(out, "{value:.0} {}", UNITS[unit])
    };
}

/// Local wall-clock time with milliseconds, e.g. `14:03:07.251`.
///
/// The hours, minutes and seconds of the last second asked for are kept:
/// a flood's frames share a few seconds, and turning each one into local
/// time through the time zone and a strftime pattern was most of the cost
/// of a headless proxy's line.
pub fn clock(at: SystemTime) -> String {
    let mut out = String::with_capacity(12);
    clock_into(at, &mut out);
    out
}

/// [`clock`], appended to `out`.
pub fn clock_into(at: SystemTime, out: &mut String) {
    thread_local! {
        static LAST_SECOND: std::cell::RefCell<Option<(u64, String)>> = const { std::cell::RefCell::new(None) };
    }
    let Ok(since_epoch) = at.duration_since(std::time::UNIX_EPOCH) else {
        let local: chrono::DateTime<chrono::Local> = at.into();
        out.push_str(&local.format("%H:%M:%S%.3f").to_string());
        return;
    };
    let second = since_epoch.as_secs();
    LAST_SECOND.with_borrow_mut(|last| {
        let hms = match last {
            Some((cached, hms)) if *cached == second => hms,
            _ => {
                let local: chrono::DateTime<chrono::Local> =
                    (std::time::UNIX_EPOCH + Duration::from_secs(second)).into();
                &mut last.insert((second, local.format("%H:%M:%S").to_string())).1
            }
        };
        out.push_str(hms);
    });
    let millis = since_epoch.subsec_millis();
    out.push('.');
    for digit in [millis / 100, millis / 10 % 10, millis % 10] {
        out.push(char::from(b'0' + digit as u8));
    }
}

/// A running time such as `0:07` or `1:02:03`.
pub fn elapsed(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where
/// possible (continuation lines leave room for a two-space indent).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let limit = |lines: &Vec<String>| {
        if lines.is_empty() {
            width
        } else {
            width.saturating_sub(2)
        }
    };
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let room = limit(&lines);
            let needed = current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
            if needed <= room {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A single word longer than a line is cut.
            let cut: String = word.chars().take(room.max(1)).collect();
            word = word.chars().skip(room.max(1)).collect();
            lines.push(cut);
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Parses `2s`, `200ms`, `1.5s`, `1m`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 500ms, 2s, 1.5m)"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1_000.0,
        "us" | "µs" => value / 1_000_000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3_600.0,
        other => return Err(format!("{other:?} is not a unit of time (use ms, s, m or h)")),
    };
    if !seconds.is_finite() || seconds > 7.0 * 86_400.0 {
        return Err(format!("{text:?} is longer than a week"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_say_one_thing_or_several_things() {
        assert_eq!(super::count(1u64, "frame"), "1 frame");
        assert_eq!(super::count(0u64, "frame"), "0 frames");
        assert_eq!(super::count(2u64, "tab"), "2 tabs");
    }

    use super::*;

    #[test]
    fn clock_reads_as_chrono_formats_local_time() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_899_852_250);
        // Within one second, across seconds, back again, and before 1970.
        for offset_ms in [0u64, 1, 749, 750, 1_000, 61_001, 0, 3_600_999] {
            let at = start + Duration::from_millis(offset_ms);
            let local: chrono::DateTime<chrono::Local> = at.into();
            assert_eq!(clock(at), local.format("%H:%M:%S%.3f").to_string());
        }
        let before_1970 = SystemTime::UNIX_EPOCH - Duration::from_millis(1_500);
        let local: chrono::DateTime<chrono::Local> = before_1970.into();
        assert_eq!(clock(before_1970), local.format("%H:%M:%S%.3f").to_string());
    }

    #[test]
    fn compact_counts_and_rates_fit_their_columns() {
        assert_eq!(compact(9_999), "9999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(999_499), "999k");
        assert_eq!(compact(4_560_000), "4.6M");
        assert_eq!(compact(u64::MAX), "18446744074G");
        assert_eq!(rate(0.0), "0/s");
        assert_eq!(rate(f64::NAN), "0/s");
        assert_eq!(rate(0.25), "0.25/s");
        assert_eq!(rate(12.54), "12.5/s");
        assert_eq!(rate(114.65), "115/s");
        assert_eq!(rate(13_202.0), "13.2k/s");
        for per_second in [0.001, 9.999, 99.99, 999.9, 1e6, 1e9] {
            assert!(rate(per_second).chars().count() <= 8, "{}", rate(per_second));
        }
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(Duration::from_micros(812)), "812µs");
        assert_eq!(duration(Duration::from_micros(3_240)), "3.2ms");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(Duration::from_millis(1_250)), "1.25s");
        assert_eq!(duration(Duration::from_secs(75)), "1:15");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(64 << 20), "64 MiB");
    }

    #[test]
    fn elapsed_reads_like_a_clock() {
        assert_eq!(elapsed(Duration::from_secs(7)), "0:07");
        assert_eq!(elapsed(Duration::from_secs(3723)), "1:02:03");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("short", 20), vec!["short"]);
        assert_eq!(wrap("one two three four", 9), vec!["one two", "three", "four"]);
        assert_eq!(
            wrap("/a/very/long/path/name", 10),
            vec!["/a/very/lo", "ng/path/", "name"]
        );
        assert_eq!(wrap("", 10), vec![""]);
    }
}
