//! `wscope proxy`'s own arguments.

use clap::Args;

use super::values::{parse_header, parse_seconds};
use crate::record::KvRow;

/// `wscope proxy`'s own arguments.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The ws:// or wss:// server to send every client to (reverse mode);
    /// without it, a forward proxy.
    #[arg(value_name = "UPSTREAM_URL")]
    pub upstream: Option<String>,
    /// Address and port to listen on; not on loopback, anyone who can reach
    /// it can use the proxy.
    #[arg(long, value_name = "ADDR:PORT", default_value = crate::capture::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// A header added to every upgrade sent upstream (replacing the
    /// client's of the same name), repeatable.
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<KvRow>,
    /// Print one line per frame instead of the inspector (also when
    /// standard output is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Headless: print full NDJSON records (connection id, direction, time, opcode).
    #[arg(long)]
    pub ndjson: bool,
    /// Print where the interception CA's certificate is, and how to trust it.
    #[arg(long)]
    pub ca_cert: bool,
    /// Forward mode: open only CONNECT tunnels to these hosts (and their
    /// subdomains), comma-separated; others are tunnelled blind [default: all].
    #[arg(long, value_name = "HOSTS", value_delimiter = ',')]
    pub intercept: Vec<String>,
    /// Forward mode: clients must send these credentials (Proxy-Authorization:
    /// Basic); required when listening beyond loopback.
    #[arg(long, value_name = "USER:PASS")]
    pub proxy_auth: Option<String>,
    /// Rewrite client-to-server frames that are JSON with a jq expression ('jq:EXPR').
    #[arg(long, value_name = "jq:EXPR")]
    pub rewrite: Option<String>,
    /// Rewrite server-to-client frames that are JSON with a jq expression ('jq:EXPR').
    #[arg(long, value_name = "jq:EXPR")]
    pub rewrite_in: Option<String>,
    /// Drop frames (either way) that match a regex or 'jq:EXPR', repeatable.
    #[arg(long, value_name = "REGEX")]
    pub drop: Vec<String>,
    /// Seconds an intercepted frame is held before it goes on as it was.
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub hold_timeout: f64,
}
