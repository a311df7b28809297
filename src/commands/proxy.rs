//! `wscope proxy`: the capture set up from the command line, then shown in
//! the inspector or printed headless.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine as _;

use super::setup::{conn_settings, load_config, open_log};
use crate::capture::upstream::Dialer;
use crate::capture::{Authority, CaptureOptions, NOTICE_QUEUE, Rules};
use crate::cli::{ConnOptions, ProxyArgs};
use crate::profile::paths::Paths;
use crate::request::ProxyChoice;
use crate::settings::Settings;

pub async fn run(args: ProxyArgs, options: &ConnOptions) -> anyhow::Result<u8> {
    if args.ca_cert {
        return print_ca(options, &args);
    }
    let upstream = match &args.upstream {
        Some(text) => Some(crate::request::parse_url(text).map_err(|e| anyhow::anyhow!("UPSTREAM_URL: {e}"))?),
        None => None,
    };
    let loopback = args.listen.ip().is_loopback();
    if !loopback {
        if upstream.is_none() && args.proxy_auth.is_none() {
            bail!(
                "--listen {} is reachable from other machines: a forward proxy there needs --proxy-auth USER:PASS, or it is an open relay",
                args.listen
            );
        }
        eprintln!(
            "wscope proxy: warning: --listen {} is reachable from other machines, not only this one",
            args.listen
        );
    }
    let headers = args
        .headers
        .iter()
        .enumerate()
        .map(|(index, row)| crate::request::validate_header(index + 1, row))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("-H: {e}"))?;
    let rules =
        Rules::compile(args.rewrite.as_deref(), args.rewrite_in.as_deref(), &args.drop).map_err(anyhow::Error::msg)?;
    let (config, _) = load_config(options);
    let settings = Settings::resolve(options, &config.defaults, None);
    let conn = conn_settings(&settings, options)?;
    let tls = crate::conn::client_config(&conn.tls).context("cannot set up TLS")?;
    let authority = match upstream {
        Some(_) => None,
        None => Some(Arc::new(load_authority(options)?)),
    };
    let (hold_rule_tx, hold_rule) = tokio::sync::watch::channel(None);
    let capture_options = CaptureOptions {
        upstream: upstream.clone(),
        headers,
        dialer: Dialer {
            proxy: options.proxy.as_deref().map(ProxyChoice::parse).unwrap_or_default(),
            connect_timeout: settings.connect_timeout,
            tls: Some(tls),
        },
        max_message_size: settings.max_message_size,
        send_timeout: conn.effective_send_timeout(),
        rules: Arc::new(rules),
        hold_timeout: std::time::Duration::from_secs_f64(args.hold_timeout),
        intercept_hosts: (!args.intercept.is_empty()).then(|| args.intercept.clone()),
        hold_rule,
        proxy_auth: args.proxy_auth.as_ref().map(|credentials| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        }),
        authority: authority.clone(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let listening = listener.local_addr().unwrap_or(args.listen);
    let (notices_tx, notices) = tokio::sync::mpsc::channel(NOTICE_QUEUE);
    tokio::spawn(crate::capture::serve(listener, capture_options, notices_tx));
    let shown_upstream = upstream
        .as_ref()
        .map(|url| crate::secrets::mask_url(url.as_str(), crate::secrets::SCREEN_MASK).into_owned());
    let mut banner = Vec::new();
    match &shown_upstream {
        Some(url) => banner.push(format!("listening on {listening}, relaying to {url}")),
        None => {
            banner.push(format!(
                "listening on {listening} as a forward proxy (point clients at http://{listening})"
            ));
            if let Some(authority) = &authority {
                banner.push(format!(
                    "wss:// is opened with the CA in {} (wscope proxy --ca-cert says how to trust it)",
                    authority.cert_path().display()
                ));
            }
        }
    }
    let interactive = !args.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if interactive {
        super::inspector::proxy(
            options,
            super::inspector::ProxyLaunch {
                notices,
                hold_rule: hold_rule_tx,
                banner,
                title: format!("proxy :{}", listening.port()),
            },
        )
        .await?;
        return Ok(0);
    }
    for line in &banner {
        eprintln!("wscope proxy: {line}");
    }
    let log = open_log(options)?;
    let payloads = {
        let mut profile = crate::profile::Profile::default();
        settings.tab.protocol.lay_over(&mut profile);
        profile.decoder_source().build()?
    };
    let print = crate::headless::capture::PrintOptions {
        ndjson: args.ndjson,
        sanitize: std::io::stdout().is_terminal(),
        show_secrets: options.export_secrets,
        log,
        payloads,
        read_as: Box::new(read_as(settings.tab.protocol.clone())),
    };
    crate::headless::capture::run(notices, print).await
}

/// The authority kept in the data directory, made on first use.
fn load_authority(options: &ConnOptions) -> anyhow::Result<Authority> {
    let paths = Paths::resolve(options.config_dir.as_deref())
        .context("no home directory to keep the interception CA in; pass --config-dir DIR")?;
    Authority::load_or_create(&paths.data).context("the interception CA")
}

/// `--ca-cert`: where the certificate is and how to trust it.
fn print_ca(options: &ConnOptions, args: &ProxyArgs) -> anyhow::Result<u8> {
    let authority = load_authority(options)?;
    let cert = authority.cert_path().display().to_string();
    let proxy = format!("http://{}", args.listen);
    say!(
        "{cert}\n\n\
         wscope proxy opens wss:// with certificates signed by this CA. Trust it\n\
         in the client you capture (its key stays beside it, readable by you only):\n\n\
         \x20 curl      curl --proxy {proxy} --cacert {cert} https://…\n\
         \x20 Node      NODE_EXTRA_CA_CERTS={cert} HTTPS_PROXY={proxy} node app.js\n\
         \x20 Python    SSL_CERT_FILE={cert} (ssl, websockets, aiohttp); REQUESTS_CA_BUNDLE={cert} (requests)\n\
         \x20 Chromium  certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n wscope -i {cert}\n\
         \x20           then start it with --proxy-server={proxy}\n\
         \x20 Firefox   Settings → Privacy & Security → Certificates → View Certificates\n\
         \x20           → Authorities → Import…, and set the proxy in Network Settings\n\
         \x20 System    sudo cp {cert} /usr/local/share/ca-certificates/wscope-ca.crt\n\
         \x20           && sudo update-ca-certificates   (Debian, Ubuntu)"
    )?;
    Ok(0)
}

/// How the headless printer reads a connection to a URL: as the command
/// line's protocol choices laid over that URL would be in the inspector.
fn read_as(choices: crate::settings::ProtocolChoices) -> impl Fn(&str) -> crate::protocol::Protocol + Send {
    move |url| {
        let mut profile = crate::profile::Profile {
            url: url.to_string(),
            ..crate::profile::Profile::default()
        };
        choices.lay_over(&mut profile);
        crate::profile::resolve::resolve_request(&profile, &crate::profile::vars::Resolver::default(), None)
            .map(|request| request.protocol)
            .unwrap_or_default()
    }
}
