//! The one place where a setting's value is decided, for the inspector and
//! the headless commands alike: the command line wins, then the profile,
//! then `config.toml`, then the built-in default.
//!
//! May import: `cli`, `config`, `profile`.

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
        // `--reconnect` is a flag: given, it turns reconnecting on; absent,
        // it leaves the choice to the profile, then the config.
        let reconnect = cli.reconnect || profile.and_then(|p| p.reconnect).unwrap_or(config.reconnect);
        let seconds = |secs: Option<f64>| secs.filter(|s| *s > 0.0).map(Duration::from_secs_f64);
        Self {
            ping_interval: (ping_secs > 0).then(|| Duration::from_secs(ping_secs)),
            ping_timeout: seconds(cli.ping_timeout),
            send_timeout: seconds(cli.send_timeout),
            connect_timeout: Duration::from_secs(
                cli.connect_timeout.unwrap_or(config.connect_timeout).clamp(1, MAX_SECS),
            ),
            reconnect,
            fps: cli.fps.unwrap_or(config.fps).clamp(1, 240),
            history: usize::try_from(cli.history.unwrap_or(config.history).max(1)).unwrap_or(usize::MAX),
            history_bytes: cli
                .history_bytes
                .unwrap_or_else(|| parse_size(&config.history_bytes).unwrap_or(64 << 20)),
            max_message_size: cli.max_message_size,
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
}
