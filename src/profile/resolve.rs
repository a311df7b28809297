//! Turns a profile (with `{{variables}}`) into a request the connection
//! task can open. Shared by the inspector and the headless commands.

use super::Profile;
use super::vars::{Resolver, Unresolved};
use crate::protocol::Protocol;
use crate::record::KvRow;
use crate::request::{self, RequestError};
use crate::request::{ProxyChoice, ResolvedRequest};

/// Why a request could not be built for connecting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Variable(#[from] Unresolved),
    #[error(transparent)]
    Request(#[from] RequestError),
    /// An option that does not read (a `heartbeat` of the wrong form).
    #[error("{0}")]
    Option(String),
}

/// Resolves variables in the URL, params and headers and builds the
/// request. `proxy_override` (from `--proxy`) wins over the profile's.
pub fn resolve_request(
    profile: &Profile,
    resolver: &Resolver,
    proxy_override: Option<&str>,
) -> Result<ResolvedRequest, ResolveError> {
    let url = resolver.resolve(&profile.url, "the URL")?;
    let url = http_as_ws_url(&url, profile);
    let rows = |rows: &[KvRow], noun: &str| -> Result<Vec<KvRow>, Unresolved> {
        rows.iter()
            .map(|row| {
                if !row.enabled {
                    return Ok(row.clone());
                }
                let place = format!("{noun} {}", row.key.trim());
                Ok(KvRow {
                    key: resolver.resolve(&row.key, &place)?,
                    value: resolver.resolve(&row.value, &place)?,
                    ..row.clone()
                })
            })
            .collect()
    };
    let params = rows(&profile.params, "param")?;
    let headers = rows(&profile.headers, "header")?;
    let mut request = request::build(&url, &params, &headers)?;
    request.subprotocols = profile.subprotocols.clone();
    let proxy = proxy_override.or(profile.proxy.as_deref());
    request.proxy = proxy.map_or_else(ProxyChoice::default, ProxyChoice::parse);
    request.protocol = Protocol {
        kind: Protocol::choose(profile.protocol, &request.url),
        namespace: profile.namespace.clone(),
        auth: match &profile.auth {
            Some(auth) => Some(resolve_json(auth.clone(), resolver, "the auth payload")?.to_string()),
            None => None,
        },
        ack: false,
        eio3: profile.eio == Some(3),
        path: profile.socketio_path.clone(),
        detect: profile.protocol.is_none(),
        host: profile
            .vhost
            .clone()
            .or_else(|| request.url.host_str().map(str::to_string)),
        heartbeat: profile
            .heartbeat
            .as_deref()
            .map(crate::protocol::stomp::parse_heartbeat)
            .transpose()
            .map_err(ResolveError::Option)?,
        sockjs: profile.sockjs.unwrap_or(false),
        mqtt_version: profile.mqtt_version,
        client_id: profile.client_id.clone(),
        keepalive: profile.keepalive_secs.map(std::time::Duration::from_secs),
        max_message_size: None,
        sockjs_if_opened: profile.sockjs.is_none() && request.url.path().trim_end_matches('/').ends_with("/websocket"),
        connect_timeout: None,
    };
    request.url = request.protocol.shape_url(request.url);
    // Servers pick their subprotocol from these (GraphQL's two). SockJS
    // negotiates none, and tungstenite fails a handshake that offered some
    // and got none back.
    let sockjs = request.protocol.sockjs || request.protocol.sockjs_if_opened;
    if request.subprotocols.is_empty() && !sockjs {
        request.subprotocols = request
            .protocol
            .kind
            .subprotocols()
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    Ok(request)
}

/// Some servers (Socket.IO's) are usually given as their http(s):// address, as
/// their JavaScript clients take them: for those protocols it means ws(s)://.
fn http_as_ws_url(url: &str, profile: &Profile) -> String {
    let trimmed = url.trim();
    let named = profile.protocol.is_some_and(|kind| kind.takes_http_urls());
    let implied = profile.protocol.is_none()
        && url::Url::parse(trimmed).is_ok_and(|url| {
            crate::protocol::ProtocolKind::implied_by(&url).is_some_and(|kind| kind.takes_http_urls())
        });
    if !named && !implied {
        return url.to_string();
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("http://") {
        format!("ws://{}", &trimmed["http://".len()..])
    } else if lower.starts_with("https://") {
        format!("wss://{}", &trimmed["https://".len()..])
    } else {
        url.to_string()
    }
}

/// Resolves `{{variables}}` in every string of a JSON payload (an auth
/// token in `{"token": "{{env:TOKEN}}"}`), so a value with quotes in it
/// stays one string.
pub fn resolve_json(
    value: serde_json::Value,
    resolver: &Resolver,
    place: &str,
) -> Result<serde_json::Value, Unresolved> {
    use serde_json::Value;
    Ok(match value {
        Value::String(text) => Value::String(resolver.resolve(&text, place)?),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| resolve_json(item, resolver, place))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, item)| Ok((key, resolve_json(item, resolver, place)?)))
                .collect::<Result<_, Unresolved>>()?,
        ),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ProtocolKind;

    fn fake_env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| r#"to"ken"#.to_string())
    }

    fn resolved(profile: Profile) -> ResolvedRequest {
        resolve_request(&profile, &Resolver::default().with_process_env(fake_env), None).unwrap()
    }

    #[test]
    fn socketio_takes_http_urls_and_its_options() {
        let request = resolved(Profile {
            url: "https://example.com/".into(),
            protocol: Some(ProtocolKind::named("socketio").unwrap()),
            eio: Some(3),
            socketio_path: Some("/rt/".into()),
            ..Profile::default()
        });
        assert_eq!(request.url.as_str(), "wss://example.com/rt/?EIO=3&transport=websocket");
        assert!(request.protocol.eio3 && !request.protocol.detect);
        let detected = resolved(Profile {
            url: "http://h:3000/socket.io/".into(),
            ..Profile::default()
        });
        assert_eq!(
            detected.url.as_str(),
            "ws://h:3000/socket.io/?EIO=4&transport=websocket"
        );
        let raw = resolve_request(
            &Profile {
                url: "http://h/".into(),
                ..Profile::default()
            },
            &Resolver::default(),
            None,
        );
        assert!(raw.is_err(), "raw WebSocket still refuses http://");
    }

    #[test]
    fn auth_payload_strings_resolve_variables_and_stay_json() {
        let request = resolved(Profile {
            url: "ws://h/graphql".into(),
            protocol: Some(ProtocolKind::named("graphql").unwrap()),
            auth: Some(serde_json::json!({ "token": "{{env:TOKEN}}", "n": 1 })),
            ..Profile::default()
        });
        let auth: serde_json::Value = serde_json::from_str(request.protocol.auth.as_deref().unwrap()).unwrap();
        assert_eq!(auth, serde_json::json!({ "token": "to\"ken", "n": 1 }));
        let missing = resolve_request(
            &Profile {
                url: "ws://h/".into(),
                auth: Some(serde_json::json!({ "token": "{{env:NOPE}}" })),
                ..Profile::default()
            },
            &Resolver::default().with_process_env(fake_env),
            None,
        );
        assert!(missing.unwrap_err().to_string().contains("auth payload"));
    }

    #[test]
    fn graphql_is_detected_from_the_subprotocol_unless_a_protocol_is_named() {
        let unnamed = resolved(Profile {
            url: "ws://h/q".into(),
            ..Profile::default()
        });
        assert_eq!(
            unnamed.protocol.settle(Some("graphql-transport-ws")).kind,
            ProtocolKind::named("graphql").unwrap()
        );
        assert_eq!(unnamed.protocol.settle(Some("chat")).kind, ProtocolKind::raw());
        let named = resolved(Profile {
            url: "ws://h/q".into(),
            protocol: Some(ProtocolKind::raw()),
            ..Profile::default()
        });
        assert_eq!(named.protocol.settle(Some("graphql-ws")).kind, ProtocolKind::raw());
    }
}
