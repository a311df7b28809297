//! The README's screenshot, taken from a real run: `wscope demo` in a
//! pseudo-terminal, connected, with a jq filter on the frames and one frame
//! open in the detail view, drawn into `assets/screenshot.svg`.
//!
//! Not part of `cargo test` (it takes a few seconds and rewrites a file in
//! the repository). Regenerate it after the screen changes with:
//!
//! ```sh
//! cargo test --test screenshot -- --ignored
//! ```
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::pty::Pty;

const COLS: u16 = 100;
const ROWS: u16 = 30;
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const GAP: f32 = 24.0;

#[test]
#[ignore = "rewrites assets/screenshot.svg; run it by hand after the screen changes"]
fn readme_screenshot() {
    let mut pty = Pty::spawn_sized(&["demo", "--ping-interval", "2"], COLS, ROWS);
    pty.wait_for(&["Connected"]);
    pty.press(b"\x0a"); // Ctrl-J: the demo echoes the message
    std::thread::sleep(Duration::from_millis(4_500)); // a few ticks and pings
    pty.press(b"\x1b5f"); // Alt-5, then f: a filter on the frames
    pty.wait_for(&["Filter"]);
    pty.press(b"jq: .type == \"tick\" and .price > 90\r");
    pty.wait_for(&["showing "]);
    std::thread::sleep(Duration::from_millis(1_200));
    let filtered = pty.screen.lock().unwrap().screen().clone();
    pty.press(b"\x1b[A"); // Up: select the newest tick
    std::thread::sleep(Duration::from_millis(100));
    pty.press(b"\r");
    pty.wait_for(&["received text"]);
    let detail = pty.screen.lock().unwrap().screen().clone();
    pty.press(b"\x03");
    let _ = pty.child.wait();

    let width = f32::from(COLS) * CELL_W;
    let height = f32::from(ROWS) * CELL_H;
    let mut svg = String::new();
    let total_w = width * 2.0 + GAP * 3.0;
    let total_h = height + GAP * 2.0;
    writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" viewBox="0 0 {total_w} {total_h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    )
    .unwrap();
    writeln!(svg, r##"<rect width="100%" height="100%" fill="#0d1117"/>"##).unwrap();
    for (i, screen) in [&filtered, &detail].into_iter().enumerate() {
        let x0 = GAP + i as f32 * (width + GAP);
        draw_screen(&mut svg, screen, x0, GAP);
    }
    svg.push_str("</svg>\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/screenshot.svg");
    std::fs::write(path, svg).unwrap();
    eprintln!("wrote {path}");
}

/// One terminal screen as SVG: a background rectangle per run of cells
/// with a background colour, and a text span per run of one style.
fn draw_screen(svg: &mut String, screen: &vt100::Screen, x0: f32, y0: f32) {
    let (rows, cols) = screen.size();
    writeln!(
        svg,
        r##"<rect x="{x0}" y="{y0}" width="{}" height="{}" fill="#161b22" rx="6"/>"##,
        f32::from(cols) * CELL_W,
        f32::from(rows) * CELL_H
    )
    .unwrap();
    for row in 0..rows {
        let y = y0 + f32::from(row) * CELL_H;
        let mut col = 0;
        while col < cols {
            let Some(cell) = screen.cell(row, col) else { break };
            let (fg, bg) = colours(cell);
            let bold = cell.bold();
            let start = col;
            let mut text = String::new();
            while col < cols {
                let Some(next) = screen.cell(row, col) else { break };
                if colours(next) != (fg.clone(), bg.clone()) || next.bold() != bold {
                    break;
                }
                let contents = next.contents();
                text.push_str(if contents.is_empty() { " " } else { contents });
                col += 1;
                if next.is_wide() {
                    col += 1;
                }
            }
            let x = x0 + f32::from(start) * CELL_W;
            if let Some(bg) = &bg {
                writeln!(
                    svg,
                    r#"<rect x="{x}" y="{y}" width="{}" height="{CELL_H}" fill="{bg}"/>"#,
                    f32::from(col - start) * CELL_W
                )
                .unwrap();
            }
            if !text.trim().is_empty() {
                let weight = if bold { r#" font-weight="bold""# } else { "" };
                writeln!(
                    svg,
                    r#"<text x="{x}" y="{}" fill="{fg}"{weight} xml:space="preserve" textLength="{}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    y + CELL_H * 0.78,
                    f32::from(col - start) * CELL_W,
                    escape(&text)
                )
                .unwrap();
            }
        }
    }
}

/// A cell's text and background colours as CSS, reverse video applied;
/// `None` for the default background.
fn colours(cell: &vt100::Cell) -> (String, Option<String>) {
    let fg = css(cell.fgcolor(), "#c9d1d9");
    let bg = match cell.bgcolor() {
        vt100::Color::Default => None,
        other => Some(css(other, "#161b22")),
    };
    if cell.inverse() {
        (bg.unwrap_or_else(|| "#161b22".into()), Some(fg))
    } else {
        (fg, bg)
    }
}

fn css(colour: vt100::Color, default: &str) -> String {
    const BASE: [&str; 16] = [
        "#484f58", "#ff7b72", "#3fb950", "#d29922", "#58a6ff", "#bc8cff", "#39c5cf", "#b1bac4", "#6e7681", "#ffa198",
        "#56d364", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#f0f6fc",
    ];
    match colour {
        vt100::Color::Default => default.to_string(),
        vt100::Color::Idx(i) if i < 16 => BASE[usize::from(i)].to_string(),
        vt100::Color::Idx(i) if i >= 232 => {
            let level = 8 + 10 * (u32::from(i) - 232);
            format!("#{level:02x}{level:02x}{level:02x}")
        }
        vt100::Color::Idx(i) => {
            let i = u32::from(i) - 16;
            let step = |v: u32| if v == 0 { 0 } else { 55 + 40 * v };
            format!("#{:02x}{:02x}{:02x}", step(i / 36), step(i / 6 % 6), step(i % 6))
        }
        vt100::Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
