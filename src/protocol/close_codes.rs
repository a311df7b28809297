//! What WebSocket close codes mean.

use super::REGISTRY;

/// What a close code means (RFC 6455 §7.4 and the IANA registry), naming
/// the application codes of the protocols that define their own.
pub fn close_code_meaning(code: u16) -> &'static str {
    match code {
        1000 => "normal",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no code",
        1006 => "abnormal",
        1007 => "invalid payload",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "extension required",
        1011 => "server error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS failure",
        3000..=3999 => "registered",
        4000..=4999 => REGISTRY
            .iter()
            .find_map(|kind| kind.0.close_code_meaning(code))
            .unwrap_or("application"),
        _ => "unknown",
    }
}
