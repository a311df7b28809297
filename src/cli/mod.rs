//! Command-line interface.
//!
//! May import: `capture`, `decode`, `filter`, `flow`, `loadtest`, `profile`, `protocol`, `record`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod proxy;
mod values;
pub use self::proxy::ProxyArgs;
pub use self::values::{parse_header, parse_json, parse_param, parse_seconds, parse_size};

use crate::record::KvRow;

/// A keyboard-first terminal WebSocket inspector.
///
/// With a URL, wscope opens the inspector and connects at once; without one,
/// it opens an empty request to fill in.
#[derive(Debug, Parser)]
#[command(name = "wscope", version = env!("WSCOPE_VERSION"))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub options: ConnOptions,
}

/// The request to pre-fill.
#[derive(Debug, Args, Default)]
pub struct RequestArgs {
    /// The ws:// or wss:// URL to connect to.
    pub url: Option<String>,
    /// More URLs: the inspector opens a tab for each (-H, -q and -m apply to all).
    #[arg(value_name = "MORE_URLS")]
    pub more_urls: Vec<String>,
    /// A handshake header, repeatable.
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<KvRow>,
    /// A query parameter appended to the URL, repeatable.
    #[arg(short = 'q', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<KvRow>,
    /// The message to put in the composer (sent with Ctrl-J).
    #[arg(short = 'm', long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Open this saved profile and connect; repeated, the inspector opens a
    /// tab for each.
    #[arg(short = 'p', long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Use this environment from environments.json for {{variables}}.
    #[arg(short = 'e', long = "env", value_name = "NAME")]
    pub environment: Option<String>,
}

impl RequestArgs {
    /// The first profile named, the one a single connection uses.
    pub fn profile(&self) -> Option<&String> {
        self.profiles.first()
    }
}

/// Connection and display settings.
#[derive(Debug, Args)]
pub struct ConnOptions {
    /// Seconds between keepalive pings that measure the round-trip time; 0 turns them off
    /// [default: the profile's, else config.toml's, else 5].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=MAX_SECS), global = true)]
    pub ping_interval: Option<u64>,
    /// Seconds a ping may go unanswered before the connection is declared dead
    /// [default: twice the ping interval].
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, global = true)]
    pub ping_timeout: Option<f64>,
    /// A send that makes no progress for this long (the server stopped
    /// reading) fails the connection [default: the ping timeout, or 30 s without pings].
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, global = true)]
    pub send_timeout: Option<f64>,
    /// Reconnect with exponential backoff (capped at 30 s) when the connection drops
    /// [default: config, else off].
    #[arg(long, global = true)]
    pub reconnect: bool,
    /// Largest message or frame accepted, in bytes (K, M and G suffixes work).
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_size, global = true)]
    pub max_message_size: usize,
    /// Seconds allowed for DNS, TCP, TLS and the upgrade together [default: config, else 10].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=MAX_SECS), global = true)]
    pub connect_timeout: Option<u64>,
    /// Also trust the CA certificates in this PEM file for wss://.
    #[arg(long, value_name = "FILE", global = true)]
    pub cacert: Option<PathBuf>,
    /// Accept any server certificate (self-signed, expired, wrong host). For debugging only.
    #[arg(short = 'k', long, global = true)]
    pub insecure: bool,
    /// Client certificate (PEM) for mutual TLS; goes with --key.
    #[arg(long, value_name = "FILE", requires = "key", global = true)]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of the client certificate.
    #[arg(long, value_name = "FILE", requires = "cert", global = true)]
    pub key: Option<PathBuf>,
    /// Connect through this proxy (http://, socks5:// or socks5h://, with
    /// optional user:password@), or `none` to ignore the proxy environment
    /// variables [default: the profile's, else HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, minus NO_PROXY].
    #[arg(long, value_name = "URL", global = true)]
    pub proxy: Option<String>,
    /// The protocol spoken over the socket [default: the profile's, else
    /// socketio when the path has /socket.io/, graphql when the server picks
    /// a GraphQL subprotocol, else raw].
    #[arg(long, value_enum, global = true)]
    pub protocol: Option<crate::protocol::ProtocolKind>,
    /// Socket.IO namespace to connect to [default: /].
    #[arg(long, value_name = "NS", global = true)]
    pub namespace: Option<String>,
    /// Socket.IO: every emit asks for an ack, which is paired with it.
    #[arg(long, global = true)]
    pub ack: bool,
    /// Socket.IO's CONNECT payload, or GraphQL's connection_init payload, as
    /// JSON; {{env:NAME}} in its strings is resolved. Shown and logged masked.
    #[arg(long, visible_alias = "init-payload", value_name = "JSON", value_parser = parse_json, global = true)]
    pub auth: Option<serde_json::Value>,
    /// Socket.IO: the Engine.IO version; 3 speaks to Socket.IO 2 servers
    /// (and newer ones that allow EIO3) [default: 4].
    #[arg(long, value_name = "3|4", value_parser = clap::value_parser!(u8).range(3..=4), global = true)]
    pub eio: Option<u8>,
    /// Socket.IO: the server's path (e.g. /ws/), instead of the URL's path
    /// plus /socket.io/.
    #[arg(long, value_name = "PATH", global = true)]
    pub socketio_path: Option<String>,
    /// STOMP: the virtual host CONNECT names [default: the URL's host].
    #[arg(long, value_name = "HOST", global = true)]
    pub vhost: Option<String>,
    /// STOMP: the heart-beats offered, CX,CY in milliseconds as STOMP writes
    /// them, or one time for both ways (5s); 0 turns them off [default: 10s].
    #[arg(long, value_name = "CX,CY|TIME", value_parser = parse_heartbeat, global = true)]
    pub heartbeat: Option<String>,
    /// MQTT: the protocol version, 4 (3.1.1) or 5 [default: 4].
    #[arg(long, value_name = "4|5", value_parser = clap::value_parser!(u8).range(4..=5), global = true)]
    pub mqtt_version: Option<u8>,
    /// MQTT: the client id [default: wscope- and eight random letters].
    #[arg(long, value_name = "ID", global = true)]
    pub client_id: Option<String>,
    /// MQTT: the keep-alive asked for in CONNECT; a PINGREQ goes out when
    /// nothing else has for this long (0 turns it off) [default: 30s].
    #[arg(long, value_name = "TIME", value_parser = parse_time, global = true)]
    pub keepalive: Option<std::time::Duration>,
    /// Speak through SockJS's WebSocket transport (o, h, a[…], c[…]); a base
    /// URL (http://host/ws) gains /<server>/<session>/websocket.
    #[arg(long, global = true)]
    pub sockjs: bool,
    /// How binary frames are decoded [default: the profile's, else auto:
    /// gzip/zlib unwrapped, then JSON, MessagePack or CBOR, then Protobuf
    /// when --proto is given].
    #[arg(long, value_enum, global = true)]
    pub decode: Option<crate::decode::DecodeChoice>,
    /// A .proto file binary frames may be read by (repeatable); compiled at
    /// start-up, no protoc needed.
    #[arg(long, value_name = "FILE", global = true)]
    pub proto: Vec<PathBuf>,
    /// The Protobuf message type of frames (full or short name) [default:
    /// the only message type the files define].
    #[arg(long, value_name = "NAME", global = true)]
    pub proto_type: Option<String>,
    /// The Protobuf message type of received frames, over --proto-type.
    #[arg(long, value_name = "NAME", global = true)]
    pub proto_type_in: Option<String>,
    /// The Protobuf message type of sent frames, over --proto-type.
    #[arg(long, value_name = "NAME", global = true)]
    pub proto_type_out: Option<String>,
    /// Ask the server for this subprotocol (Sec-WebSocket-Protocol), repeatable.
    #[arg(long = "subprotocol", value_name = "NAME", global = true)]
    pub subprotocols: Vec<String>,
    /// Use the mouse: a click focuses a pane or selects a frame, the wheel
    /// scrolls (the terminal's own text selection then needs Shift).
    #[arg(long, global = true)]
    pub mouse: bool,
    /// Most frames kept for the frames view; older ones are dropped (and counted)
    /// [default: config, else 100000].
    #[arg(long, value_name = "FRAMES", value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub history: Option<u64>,
    /// Most payload bytes kept for the frames view (K, M and G suffixes work)
    /// [default: config, else 64M].
    #[arg(long, value_name = "BYTES", value_parser = parse_size, global = true)]
    pub history_bytes: Option<usize>,
    /// Most screen redraws per second [default: config, else 30].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=240), global = true)]
    pub fps: Option<u32>,
    /// Read settings, theme and keys from FILE instead of config.toml in the config directory.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Append every frame to FILE as NDJSON as it happens (complete even if wscope is killed).
    #[arg(long, value_name = "FILE", global = true)]
    pub log: Option<PathBuf>,
    /// Keep secret header values (authorization, api-key, cookies, …) in exports and the log.
    #[arg(long, global = true)]
    pub export_secrets: bool,
    /// Group message types in the stats view and `wscope stats` by a jq
    /// expression (e.g. 'jq:.channel') instead of the protocol's names and `.type`.
    #[arg(long, value_name = "jq:EXPR", global = true)]
    pub group_by: Option<String>,
    /// Open the tabs saved under NAME (a file beside the profiles), and save
    /// the open tabs there on the way out.
    #[arg(long, value_name = "NAME", global = true)]
    pub workspace: Option<String>,
    /// Keep profiles, environments and history here instead of the usual
    /// config directory ($XDG_CONFIG_HOME/wscope, else ~/.config/wscope).
    #[arg(long, value_name = "DIR", global = true)]
    pub config_dir: Option<PathBuf>,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a local demo server and open the inspector connected to it.
    Demo,
    /// Run the demo server alone, for testing other clients.
    Serve {
        /// Port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 9001)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Instead of the demo, send N text frames to each client, then close.
        #[arg(long, value_name = "N")]
        flood: Option<u64>,
        /// Bytes per flood frame.
        #[arg(long, value_name = "BYTES", default_value_t = 100, requires = "flood")]
        size: usize,
        /// Most flood frames per second [default: as fast as the socket takes them].
        #[arg(long, value_name = "PER_SEC", requires = "flood")]
        rate: Option<u32>,
        /// Flood Socket.IO events (42["tick","…"]) after an Engine.IO handshake.
        #[arg(long, requires = "flood")]
        socketio: bool,
        /// Instead of the demo, play the server's side of a recording (NDJSON
        /// or HAR) to every client, waiting for each recorded client message.
        /// A HAR's connections are each served at their recorded path.
        #[arg(long, value_name = "FILE", conflicts_with = "flood")]
        replay: Option<PathBuf>,
        /// Only this connection of a HAR that holds several (1 is the
        /// first), at every path.
        #[arg(long, value_name = "N", requires = "replay")]
        entry: Option<usize>,
        /// What counts as the awaited client message: exact, any, or jq:EXPR
        /// (the expression gives the same value for both, e.g. 'jq:del(.id)').
        #[arg(long = "match", value_name = "RULE", default_value = "exact", requires = "replay")]
        match_rule: String,
        /// The gaps between server frames: original, fast (none), or xN (N times faster).
        #[arg(long, value_name = "TIMING", default_value = "original", requires = "replay")]
        timing: String,
        /// Start the recording over after its end, for as long as the client stays.
        #[arg(long = "loop", requires = "replay")]
        looping: bool,
        /// Play the server's frames on their recorded timeline, without
        /// waiting for the client's messages.
        #[arg(long, requires = "replay")]
        no_gate: bool,
        /// Refuse the upgrade as the recording did (e.g. 401 with its body).
        #[arg(long, requires = "replay")]
        reject_as_recorded: bool,
    },
    /// Check a server headless: send, expect, exit 0, 1 or 2.
    ///
    /// Connect, send the message (after the profile's on-connect messages),
    /// and wait for frames that meet the expectations, in order. Exit 0 when
    /// they arrive, 1 when the connection fails, 2 when they do not in time.
    Test {
        #[command(flatten)]
        request: RequestArgs,
        /// A regex a frame's text must match, or `jq:EXPR`; repeatable, each
        /// met in turn [default: any frame].
        #[arg(long, value_name = "REGEX")]
        expect: Vec<String>,
        /// A jq expression that must hold for a frame's JSON; repeatable,
        /// in order with --expect.
        #[arg(long, value_name = "EXPR")]
        expect_jq: Vec<String>,
        /// Every expectation, in the order given (filled in by [`Cli::parse_ordered`]).
        #[arg(skip)]
        expectations: Vec<String>,
        /// How many matching frames each expectation needs.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        count: u32,
        /// Send the message and wait for the expectations this many times,
        /// one round after the other; the report gains the round trips'
        /// percentiles.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
        /// The first match may take at most this long after the send (e.g.
        /// 200ms, 1.5s; a bare number is seconds).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        max_latency: Option<std::time::Duration>,
        /// Seconds each expectation waits (and the connection may take).
        #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_seconds)]
        timeout: f64,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// Also write the result as JUnit XML to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Open a recording (NDJSON or HAR) in the inspector, offline.
    ///
    /// A recording is wscope's NDJSON (--log, exports) or a HAR (wscope's,
    /// or saved by Chrome or Firefox). Ctrl-O connects live with the
    /// recorded request. A HAR's WebSocket connections open a tab each (up
    /// to 16), in one timeline with Alt-m.
    Open {
        file: PathBuf,
        /// Only this WebSocket connection of a HAR that holds several (1 is the first).
        #[arg(long, value_name = "N")]
        entry: Option<usize>,
    },
    /// Print a recording's rate, message types, latency, sizes and gaps.
    ///
    /// The stats view's tables for a recording (wscope's NDJSON, a HAR, or
    /// a proxy's capture log): frames and bytes per message type with
    /// their share, rate and request→reply percentiles, sizes in powers of
    /// two, and the longest silences. Every connection of a HAR counts
    /// unless --entry picks one.
    Stats {
        file: PathBuf,
        /// Only this WebSocket connection of a HAR that holds several (1 is the first).
        #[arg(long, value_name = "N")]
        entry: Option<usize>,
        /// Print one JSON object: every figure, the rate per bucket included.
        #[arg(long)]
        json: bool,
    },
    /// Replay a recording's client side against a live server.
    ///
    /// Send the client's side of a recording to a live server and print what
    /// comes back; with --diff, compare it with the recording (exit 0 when
    /// it matches, 2 when it differs, 1 when the connection fails).
    Replay {
        /// The recording: wscope's NDJSON or a HAR.
        file: PathBuf,
        /// The server to replay against (the recording's own URL is not assumed).
        url: String,
        /// Which connection of a HAR that holds several (1 is the first)
        /// [default: the one recorded at URL's path].
        #[arg(long, value_name = "N")]
        entry: Option<usize>,
        /// Compare what arrives with what was recorded, frame by frame.
        #[arg(long)]
        diff: bool,
        /// Leave volatile fields out of the comparison: a jq expression
        /// applied to both sides, e.g. 'jq:del(.ts, .id)'.
        #[arg(long, value_name = "jq:EXPR", requires = "diff")]
        ignore: Option<String>,
        /// Compare the frames as sets: the same ones, in any order.
        #[arg(long, requires = "diff")]
        unordered: bool,
        /// Send on the recorded timeline instead of after each recorded answer.
        #[arg(long)]
        no_gate: bool,
        /// Without gating, the gaps between messages: original, fast or xN.
        #[arg(long, value_name = "TIMING", default_value = "original")]
        timing: String,
        /// Seconds to wait for the server's answers before going on.
        #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_seconds)]
        wait: f64,
        /// A handshake header, repeatable (headers the recording masked are not sent).
        #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
        headers: Vec<KvRow>,
    },
    /// Run flows (*.flow.toml, .http): scripted sends and expectations.
    ///
    /// Run flow files (*.flow.toml) or the WEBSOCKET requests of .http
    /// files: scripted sends and expectations. Exit 0 when every flow
    /// passes, 1 when a connection fails, 2 when a check fails, 3 when a
    /// file is invalid.
    Run {
        /// The flow files, run one after the other.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Connect here instead of the flow's URL.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// A handshake header added to every flow's request, repeatable.
        #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
        headers: Vec<KvRow>,
        /// A query parameter added to every flow's request, repeatable.
        #[arg(short = 'q', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<KvRow>,
        /// Use this saved profile's request instead of the flow's.
        #[arg(short = 'p', long, value_name = "NAME")]
        profile: Option<String>,
        /// Use this environment from environments.json for {{variables}}.
        #[arg(short = 'e', long = "env", value_name = "NAME")]
        environment: Option<String>,
        /// Print one JSON object instead of the step-by-step report.
        #[arg(long)]
        json: bool,
        /// Also write JUnit XML to FILE: a testsuite per flow, a testcase per step.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run nothing: write the flow as a script for this load engine
        /// (to standard output, or --out).
        #[arg(long, value_name = "ENGINE")]
        to: Option<crate::loadtest::Engine>,
        /// With --to: the file to write (0600), instead of standard output.
        #[arg(long, value_name = "FILE", requires = "to")]
        out: Option<PathBuf>,
        /// With --to: this many virtual users (Artillery: arrivals over
        /// --duration; k6: vus).
        #[arg(long, value_name = "N", requires = "to", value_parser = clap::value_parser!(u32).range(1..))]
        users: Option<u32>,
        /// With --to: the load lasts this many seconds.
        #[arg(long, value_name = "SECS", requires = "to", value_parser = clap::value_parser!(u32).range(1..))]
        duration: Option<u32>,
        /// With --to: write what maps, each step that does not as a comment.
        #[arg(long, requires = "to")]
        lenient: bool,
    },
    /// Lines of standard input out as frames, frames in as lines.
    ///
    /// Send each line of standard input as a text frame, and write each
    /// received frame to standard output as a line.
    Pipe {
        #[command(flatten)]
        request: RequestArgs,
        /// Write full NDJSON records (time, direction, opcode, text or base64).
        #[arg(long)]
        ndjson: bool,
        /// When standard input ends, wait for the server to close.
        #[arg(long)]
        keep_open: bool,
        /// When standard input ends, keep printing what arrives until nothing
        /// has for SECS, then close (0 closes at once).
        #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_seconds)]
        linger: f64,
        /// Write payloads byte for byte even to a terminal (by default a
        /// terminal gets control characters as visible pictures; files and
        /// pipes always get the raw bytes).
        #[arg(long)]
        raw: bool,
    },
    /// Capture other clients' WebSocket traffic as a proxy.
    ///
    /// With UPSTREAM_URL, every WebSocket upgrade made to the listen address
    /// goes to that server (the client's path and query joined onto it).
    /// Without it, wscope is an HTTP proxy that clients are pointed at
    /// (--proxy-server, HTTP_PROXY, HTTPS_PROXY): the upgrades inside are
    /// captured, wss:// by TLS interception with wscope's local CA.
    Proxy(ProxyArgs),
    /// List saved profiles.
    Profiles {
        /// Only the names, one a line (for scripts and shell completion).
        #[arg(long)]
        names: bool,
    },
    /// Print a shell completion script.
    ///
    /// Print a completion script for bash, zsh or fish; profile names
    /// complete after -p.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff).
    Man,
    /// Work with config.toml (settings, theme, keys).
    Config {
        /// Write the default config.toml (with comments) to the config directory.
        #[arg(long)]
        init: bool,
        /// Replace an existing file with --init.
        #[arg(long, requires = "init")]
        force: bool,
        /// List every action with its default keys, for [keys].
        #[arg(long, conflicts_with = "init")]
        keys: bool,
    },
    /// Write a profile out, to move it to another machine.
    ///
    /// Write a profile to FILE (or standard output); `import` reads it back.
    Export {
        name: String,
        file: Option<PathBuf>,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Add a profile from a file, a HAR or a curl command.
    ///
    /// Add a profile from an exported FILE, a HAR's WebSocket connection
    /// (FILE.har, e.g. a browser's "Save all as HAR"), or a curl command with --curl.
    Import {
        #[arg(required_unless_present = "curl", conflicts_with = "curl")]
        file: Option<PathBuf>,
        /// Which WebSocket connection of a HAR that holds several (1 is the first).
        #[arg(long, value_name = "N")]
        entry: Option<usize>,
        /// A curl command line, e.g. from a browser's "Copy as cURL".
        #[arg(long, value_name = "COMMAND")]
        curl: Option<String>,
        /// The profile's name [default: the file's name; required with --curl].
        #[arg(long)]
        name: Option<String>,
        /// Replace a profile of the same name.
        #[arg(long)]
        force: bool,
    },
}

/// The longest time any option takes, in seconds (a day): far past any
/// useful timeout, and far from the overflow a clock plus a huge duration
/// would cause.
pub const MAX_SECS: u64 = 86_400;

/// Checks a STOMP heart-beat (`10000,10000` or `5s`) and keeps its text.
fn parse_heartbeat(text: &str) -> Result<String, String> {
    crate::protocol::stomp::parse_heartbeat(text).map(|_| text.to_string())
}

/// Parses a time such as `200ms`, `1.5s` or `2` (seconds).
pub fn parse_time(text: &str) -> Result<std::time::Duration, String> {
    crate::flow::step::parse_duration(text)
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message on a
    /// mistake. Unlike `Cli::parse`, it keeps the order in which `test`'s
    /// --expect and --expect-jq were given, as they are met in that order.
    pub fn parse_ordered() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if let (Some(Command::Test { expectations, .. }), Some(("test", sub))) =
            (cli.command.as_mut(), matches.subcommand())
        {
            *expectations = ordered_expectations(sub);
        }
        cli
    }
}

/// `test`'s expectations as `REGEX` or `jq:EXPR`, in command-line order.
fn ordered_expectations(matches: &clap::ArgMatches) -> Vec<String> {
    let mut tagged: Vec<(usize, String)> = Vec::new();
    for (id, prefix) in [("expect", ""), ("expect_jq", crate::filter::JQ_PREFIX)] {
        if let (Some(values), Some(indices)) = (matches.get_many::<String>(id), matches.indices_of(id)) {
            tagged.extend(
                indices
                    .zip(values)
                    .map(|(index, value)| (index, format!("{prefix}{value}"))),
            );
        }
    }
    tagged.sort_by_key(|(index, _)| *index);
    tagged.into_iter().map(|(_, value)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_like_curl() {
        assert_eq!(parse_header("api-key: s3cret"), Ok(KvRow::new("api-key", "s3cret")));
        assert_eq!(parse_header("X-Url:http://a:b"), Ok(KvRow::new("X-Url", "http://a:b")));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": v").is_err());
    }

    #[test]
    fn test_expectations_keep_their_order() {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches_from([
            "wscope",
            "test",
            "ws://h/",
            "--expect-jq",
            ".a",
            "--expect",
            "b",
            "--expect-jq",
            ".c",
        ]);
        let (_, sub) = matches.subcommand().unwrap();
        assert_eq!(ordered_expectations(sub), ["jq:.a", "b", "jq:.c"]);
        assert!(Cli::from_arg_matches(&matches).is_ok());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn params_parse() {
        assert_eq!(parse_param("room=blue"), Ok(KvRow::new("room", "blue")));
        assert_eq!(parse_param("q=a=b"), Ok(KvRow::new("q", "a=b")));
        assert_eq!(parse_param("flag"), Ok(KvRow::new("flag", "")));
        assert!(parse_param("=x").is_err());
    }

    #[test]
    fn full_command_line_parses() {
        let cli = Cli::try_parse_from([
            "wscope",
            "ws://127.0.0.1:1/feed",
            "-H",
            "api-key: s3cret",
            "-q",
            "room=blue",
            "-m",
            "{}",
            "--ping-interval",
            "0",
        ])
        .expect("valid command line");
        assert_eq!(cli.request.url.as_deref(), Some("ws://127.0.0.1:1/feed"));
        assert_eq!(cli.request.headers.len(), 1);
        assert_eq!(cli.options.ping_interval, Some(0));
        let demo = Cli::try_parse_from(["wscope", "demo", "--ping-interval", "2"]).expect("demo parses");
        assert!(matches!(demo.command, Some(Command::Demo)));
        assert_eq!(demo.options.ping_interval, Some(2));
        let import =
            Cli::try_parse_from(["wscope", "import", "--curl", "curl wss://x", "--name", "x"]).expect("import");
        assert!(matches!(import.command, Some(Command::Import { curl: Some(_), .. })));
        assert!(Cli::try_parse_from(["wscope", "import"]).is_err());
        for bad in [
            &["wscope", "test", "ws://h", "--timeout", "inf"][..],
            &["wscope", "test", "ws://h", "--timeout", "NaN"],
            &["wscope", "--connect-timeout", "18446744073709551615"],
            &["wscope", "--connect-timeout", "0"],
            &["wscope", "--ping-interval", "99999999999"],
            &["wscope", "--ping-timeout", "-1"],
            &["wscope", "--ping-timeout", "1e300"],
        ] {
            let error = Cli::try_parse_from(bad).expect_err("out of range");
            let text = error.to_string();
            assert!(
                ["range", "not a number", "is not in", "unexpected argument"]
                    .iter()
                    .any(|w| text.contains(w)),
                "{text}"
            );
        }
    }
}
