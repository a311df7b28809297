//! The interactive terminal UI: terminal set-up and the event loop.

mod event_loop;
mod input;
mod terminal;

pub mod connections;
pub use connections::Connections;
pub use event_loop::{LoopOptions, run};
pub use terminal::restore_if_active;
