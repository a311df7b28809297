//! The interactive terminal UI: terminal set-up and the event loop.

pub mod clipboard;
mod event_loop;
mod terminal;

pub use event_loop::{LoopOptions, run};
