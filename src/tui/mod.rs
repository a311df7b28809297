//! The interactive terminal UI: terminal set-up and the event loop.

pub mod clipboard;
mod event_loop;
mod input;
mod terminal;

pub use event_loop::{LoopOptions, run};
pub use terminal::restore_if_active;
