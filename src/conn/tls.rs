//! The rustls client configuration for wss://.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Builds the client config: the system's roots plus the bundled webpki roots
/// (for machines without a CA store), plus any extra roots the user trusts.
///
/// The ring provider is passed explicitly so a wss connection never depends
/// on a process-wide default provider having been installed.
pub fn client_config(extra_roots: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, rustls::Error> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for root in extra_roots {
        roots.add(root.clone())?;
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // WebSocket upgrades are HTTP/1.1; say so in case the server also speaks h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Reads every certificate from a PEM file, for `--cacert`.
pub fn load_pem_certs(path: &std::path::Path) -> std::io::Result<Vec<CertificateDer<'static>>> {
    let file = std::fs::File::open(path)?;
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(file)).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no PEM certificates found in the file",
        ));
    }
    Ok(certs)
}
