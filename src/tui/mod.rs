//! The interactive terminal UI: terminal set-up and the event loop.
//!
//! May import: `app`, `capture`, `conn`, `flow`, `format`, `log_sink`, `profile`, `ui`.

mod event_loop;
mod input;
mod terminal;

pub mod connections;
pub mod file_worker;
pub use connections::Connections;
pub use event_loop::{LoopOptions, run};
pub use terminal::restore_if_active;
