//! The one place where a setting's value is decided, for the inspector and
//! the headless commands alike: the command line wins, then the profile,
//! then `config.toml`, then the built-in default. It also settles what
//! every tab starts from ([`TabDefaults`]): TLS, proxy and protocol
//! choices, which the inspector gives each tab it opens.
//!
//! May import: `cli`, `config`, `decode`, `frames`, `profile`, `protocol`.

use std::time::Duration;

use crate::cli::{ConnOptions, MAX_SECS, parse_size};
use crate::config::Defaults;
use crate::profile::Profile;

/// The settings of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `None` turns keepalive pings off.
    pub ping_interval: Option<Duration>,
    /// `None` is twice the interval.
    pub ping_timeout: Option<Duration>,
    /// `None` is the ping timeout, or the connection's default.
    pub send_timeout: Option<Duration>,
    pub connect_timeout: Duration,
    pub reconnect: bool,
    pub fps: u32,
    pub history: usize,
    pub history_bytes: usize,
    pub max_message_size: usize,
    /// What each tab the inspector opens starts from.
    pub tab: TabDefaults,
}

/// What a tab starts from: the run's choices that belong to each
/// connection rather than to the app.
#[derive(Debug, Clone, PartialEq)]
pub struct TabDefaults {
    /// `--insecure`: certificates are not checked.
    pub insecure: bool,
    /// `--proxy`, over the profile's and the environment's.
    pub proxy: Option<String>,
    /// `--ack`: Socket.IO emits ask for an ack.
    pub ack: bool,
    /// `--reconnect`: every tab reconnects, whatever its profile says.
    pub reconnect_flag: bool,
    /// Whether a tab whose profile does not say reconnects (config.toml).
    pub reconnect_default: bool,
    pub ping_interval: Option<Duration>,
    pub history: usize,
    pub history_bytes: usize,
    /// The protocol, subprotocol and decoder choices of the command line,
    /// laid over each tab's request.
    pub protocol: ProtocolChoices,
}

impl TabDefaults {
    /// Whether a tab with `profile`'s request reconnects after drops.
    pub fn reconnects(&self, profile: Option<&Profile>) -> bool {
        // `--reconnect` is a flag: given, it turns reconnecting on;
        // absent, it leaves the choice to the profile, then the config.
        self.reconnect_flag || profile.and_then(|p| p.reconnect).unwrap_or(self.reconnect_default)
    }
}

impl Default for TabDefaults {
    /// A run that chose nothing: no pings, the frame log's own caps.
    fn default() -> Self {
        Self {
            insecure: false,
            proxy: None,
            ack: false,
            reconnect_flag: false,
            reconnect_default: false,
            ping_interval: None,
            history: crate::frames::DEFAULT_MAX_ENTRIES,
            history_bytes: crate::frames::DEFAULT_MAX_BYTES,
            protocol: ProtocolChoices::default(),
        }
    }
}

/// The command line's protocol, subprotocol and decoder choices; each one
/// given wins over the request's own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProtocolChoices {
    pub subprotocols: Vec<String>,
    pub protocol: Option<crate::protocol::ProtocolKind>,
    pub namespace: Option<String>,
    pub auth: Option<serde_json::Value>,
    pub eio: Option<u8>,
    pub socketio_path: Option<String>,
    pub vhost: Option<String>,
    pub heartbeat: Option<String>,
    pub sockjs: bool,
    pub mqtt_version: Option<u8>,
    pub client_id: Option<String>,
    pub keepalive: Option<std::time::Duration>,
    pub decode: Option<crate::decode::DecodeChoice>,
    pub proto: Vec<std::path::PathBuf>,
    pub proto_type: Option<String>,
    pub proto_type_in: Option<String>,
    pub proto_type_out: Option<String>,
}

impl ProtocolChoices {
    fn of(cli: &ConnOptions) -> Self {
        Self {
            subprotocols: cli.subprotocols.clone(),
            protocol: cli.protocol,
            namespace: cli.namespace.clone(),
            auth: cli.auth.clone(),
            eio: cli.eio,
            socketio_path: cli.socketio_path.clone(),
            vhost: cli.vhost.clone(),
            heartbeat: cli.heartbeat.clone(),
            sockjs: cli.sockjs,
            mqtt_version: cli.mqtt_version,
            client_id: cli.client_id.clone(),
            keepalive: cli.keepalive,
            decode: cli.decode,
            proto: cli.proto.clone(),
            proto_type: cli.proto_type.clone(),
            proto_type_in: cli.proto_type_in.clone(),
            proto_type_out: cli.proto_type_out.clone(),
        }
    }

    /// Lays the choices over a request: each one given replaces the
    /// request's own; subprotocols are added to those it offers.
    pub fn lay_over(&self, profile: &mut Profile) {
        for subprotocol in &self.subprotocols {
            if !profile.subprotocols.contains(subprotocol) {
                profile.subprotocols.push(subprotocol.clone());
            }
        }
        profile.protocol = self.protocol.or(profile.protocol);
        profile.namespace = self.namespace.clone().or(profile.namespace.take());
        profile.auth = self.auth.clone().or(profile.auth.take());
        profile.eio = self.eio.or(profile.eio);
        profile.socketio_path = self.socketio_path.clone().or(profile.socketio_path.take());
        profile.vhost = self.vhost.clone().or(profile.vhost.take());
        profile.heartbeat = self.heartbeat.clone().or(profile.heartbeat.take());
        if self.sockjs {
            profile.sockjs = Some(true);
        }
        profile.mqtt_version = self.mqtt_version.or(profile.mqtt_version);
        profile.client_id = self.client_id.clone().or(profile.client_id.take());
        profile.keepalive_secs = self.keepalive.map(|d| d.as_secs()).or(profile.keepalive_secs);
        profile.decode = self.decode.or(profile.decode);
        if !self.proto.is_empty() {
            profile.proto = self.proto.clone();
        }
        profile.proto_type = self.proto_type.clone().or(profile.proto_type.take());
        profile.proto_type_in = self.proto_type_in.clone().or(profile.proto_type_in.take());
        profile.proto_type_out = self.proto_type_out.clone().or(profile.proto_type_out.take());
    }
}

impl Settings {
    /// Command line over profile over config over default. `config` was
    /// checked when it was read, and clap checked the command line; values
    /// from files are still brought into range here, before any clock sees
    /// them.
    pub fn resolve(cli: &ConnOptions, config: &Defaults, profile: Option<&Profile>) -> Self {
        let ping_secs = cli
            .ping_interval
            .or_else(|| profile.and_then(|p| p.ping_interval_secs))
            .unwrap_or(config.ping_interval)
            .min(MAX_SECS);
        let seconds = |secs: Option<f64>| secs.filter(|s| *s > 0.0).map(Duration::from_secs_f64);
        let ping_interval = (ping_secs > 0).then(|| Duration::from_secs(ping_secs));
        let history = usize::try_from(cli.history.unwrap_or(config.history).max(1)).unwrap_or(usize::MAX);
        let history_bytes = cli
            .history_bytes
            .unwrap_or_else(|| parse_size(&config.history_bytes).unwrap_or(64 << 20));
        let tab = TabDefaults {
            insecure: cli.insecure,
            proxy: cli.proxy.clone(),
            ack: cli.ack,
            reconnect_flag: cli.reconnect,
            reconnect_default: config.reconnect,
            ping_interval,
            history,
            history_bytes,
            protocol: ProtocolChoices::of(cli),
        };
        let reconnect = tab.reconnects(profile);
        Self {
            ping_interval,
            ping_timeout: seconds(cli.ping_timeout),
            send_timeout: seconds(cli.send_timeout),
            connect_timeout: Duration::from_secs(
                cli.connect_timeout.unwrap_or(config.connect_timeout).clamp(1, MAX_SECS),
            ),
            reconnect,
            fps: cli.fps.unwrap_or(config.fps).clamp(1, 240),
            history,
            history_bytes,
            max_message_size: cli.max_message_size,
            tab,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> ConnOptions {
        let mut argv = vec!["wscope"];
        argv.extend_from_slice(args);
        crate::cli::Cli::try_parse_from(argv).unwrap().options
    }

    fn config(ping_interval: u64, reconnect: bool) -> Defaults {
        Defaults {
            ping_interval,
            reconnect,
            ..Defaults::default()
        }
    }

    fn profile(ping: Option<u64>, reconnect: Option<bool>) -> Profile {
        Profile {
            ping_interval_secs: ping,
            reconnect,
            ..Profile::default()
        }
    }

    /// One row of the table: command line, config, profile, and the ping
    /// interval and reconnect that must win.
    type Row<'a> = (&'a [&'a str], Defaults, Option<Profile>, Option<u64>, bool);

    #[test]
    fn command_line_over_profile_over_config_over_default() {
        let rows: &[Row] = &[
            // Nothing set anywhere: the defaults.
            (&[], Defaults::default(), None, Some(5), false),
            // Config alone.
            (&[], config(7, true), None, Some(7), true),
            // The profile over the config, both ways for reconnect.
            (
                &[],
                config(7, true),
                Some(profile(Some(3), Some(false))),
                Some(3),
                false,
            ),
            (&[], config(7, false), Some(profile(Some(0), Some(true))), None, true),
            // A profile silent on a setting leaves it to the config.
            (&[], config(7, true), Some(profile(None, None)), Some(7), true),
            // The command line over both.
            (
                &["--ping-interval", "2", "--reconnect"],
                config(7, false),
                Some(profile(Some(3), Some(false))),
                Some(2),
                true,
            ),
            (
                &["--ping-interval", "0"],
                config(7, false),
                Some(profile(Some(3), None)),
                None,
                false,
            ),
        ];
        for (i, (args, defaults, profile, ping, reconnect)) in rows.iter().enumerate() {
            let settings = Settings::resolve(&cli(args), defaults, profile.as_ref());
            assert_eq!(settings.ping_interval, ping.map(Duration::from_secs), "row {i}");
            assert_eq!(settings.reconnect, *reconnect, "row {i}");
        }
    }

    #[test]
    fn file_values_are_brought_into_range() {
        let huge = Defaults {
            ping_interval: u64::MAX,
            connect_timeout: u64::MAX,
            fps: 0,
            history: 0,
            ..Defaults::default()
        };
        let settings = Settings::resolve(&cli(&[]), &huge, Some(&profile(Some(u64::MAX), None)));
        assert_eq!(settings.ping_interval, Some(Duration::from_secs(MAX_SECS)));
        assert_eq!(settings.connect_timeout, Duration::from_secs(MAX_SECS));
        assert_eq!(settings.fps, 1);
        assert_eq!(settings.history, 1);
        let cli_wins = Settings::resolve(&cli(&["--connect-timeout", "3", "--fps", "60"]), &huge, None);
        assert_eq!(cli_wins.connect_timeout, Duration::from_secs(3));
        assert_eq!(cli_wins.fps, 60);
    }

    #[test]
    fn a_tab_starts_from_the_command_lines_choices_over_its_requests_own() {
        let settings = Settings::resolve(
            &cli(&[
                "-k",
                "--proxy",
                "none",
                "--protocol",
                "socketio",
                "--subprotocol",
                "v2",
                "--decode",
                "msgpack",
            ]),
            &config(5, true),
            None,
        );
        let tab = &settings.tab;
        assert!(tab.insecure);
        assert_eq!(tab.proxy.as_deref(), Some("none"));
        let mut request = Profile {
            subprotocols: vec!["v1".into()],
            namespace: Some("/chat".into()),
            ..Profile::default()
        };
        tab.protocol.lay_over(&mut request);
        assert_eq!(request.protocol.map(|kind| kind.name()), Some("socketio"));
        assert_eq!(request.subprotocols, vec!["v1", "v2"]);
        assert_eq!(
            request.namespace.as_deref(),
            Some("/chat"),
            "what the command line leaves alone stays"
        );
        assert_eq!(request.decode, Some(crate::decode::DecodeChoice::Msgpack));
        // Reconnecting: the flag over each tab's profile over the config.
        assert!(tab.reconnects(None));
        assert!(!tab.reconnects(Some(&profile(None, Some(false)))));
        let flagged = Settings::resolve(&cli(&["--reconnect"]), &config(5, false), None).tab;
        assert!(flagged.reconnects(Some(&profile(None, Some(false)))));
    }
}
