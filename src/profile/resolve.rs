//! Turns a profile (with `{{variables}}`) into a request the connection
//! task can open. Shared by the inspector and the headless commands.

use super::Profile;
use super::vars::{Resolver, Unresolved};
use crate::conn::request::{self, RequestError};
use crate::conn::{KvRow, ProxyChoice, ResolvedRequest};
use crate::protocol::Protocol;

/// Why a request could not be built for connecting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Variable(#[from] Unresolved),
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// Resolves variables in the URL, params and headers and builds the
/// request. `proxy_override` (from `--proxy`) wins over the profile's.
pub fn resolve_request(
    profile: &Profile,
    resolver: &Resolver,
    proxy_override: Option<&str>,
) -> Result<ResolvedRequest, ResolveError> {
    let url = resolver.resolve(&profile.url, "the URL")?;
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
        auth: profile.auth.as_ref().map(serde_json::Value::to_string),
        ack: false,
    };
    request.url = request.protocol.shape_url(request.url);
    // GraphQL servers pick their subprotocol from these.
    if request.protocol.kind == crate::protocol::ProtocolKind::GraphQl && request.subprotocols.is_empty() {
        request.subprotocols = crate::protocol::graphql::SUBPROTOCOLS.map(str::to_string).to_vec();
    }
    Ok(request)
}
