//! Plain WebSocket: frames as they are, nothing added on either side.

use super::Speaks;

pub struct Raw;

impl Speaks for Raw {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn label(&self) -> &'static str {
        "raw"
    }

    fn about(&self) -> &'static str {
        "Plain WebSocket frames"
    }
}
