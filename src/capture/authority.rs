//! The local certificate authority that forward mode's TLS interception
//! signs with: made on first use, kept in the data directory (the key
//! readable by its owner only), and a certificate minted per host.
//!
//! The user trusts the CA certificate in the client they capture; the key
//! never leaves the machine and is never printed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA certificate's file name in the data directory.
pub const CERT_FILE: &str = "wscope-ca.pem";
/// The CA key's file name, mode 0600.
pub const KEY_FILE: &str = "wscope-ca.key";

/// The most host certificates kept; the cache starts over past it.
const MAX_MINTED: usize = 1024;

/// Why the authority could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error("cannot read or write {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a wscope CA key: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// The authority, and the certificates it has minted so far.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_path: PathBuf,
    minted: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Authority").field("cert_path", &self.cert_path).finish()
    }
}

/// The CA's name and constraints: the same every time, so that the
/// issuer rebuilt from a saved key names the saved certificate's subject.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "wscope local interception CA");
    name.push(DnType::OrganizationName, "wscope");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    params
}

impl Authority {
    /// Loads the authority kept in `dir`, or makes one there.
    pub fn load_or_create(dir: &Path) -> Result<Self, AuthorityError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        let file_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AuthorityError::File { path, source }
        };
        let (cert_pem, key) = if cert_path.exists() && key_path.exists() {
            let key_pem = std::fs::read_to_string(&key_path).map_err(file_error(&key_path))?;
            let key = KeyPair::from_pem(&key_pem).map_err(|e| AuthorityError::BadKey {
                path: key_path.clone(),
                reason: e.to_string(),
            })?;
            let cert_pem = std::fs::read_to_string(&cert_path).map_err(file_error(&cert_path))?;
            (cert_pem, key)
        } else {
            std::fs::create_dir_all(dir).map_err(file_error(dir))?;
            let key = KeyPair::generate()?;
            let cert = ca_params().self_signed(&key)?;
            write_private(&key_path, key.serialize_pem().as_bytes()).map_err(file_error(&key_path))?;
            std::fs::write(&cert_path, cert.pem()).map_err(file_error(&cert_path))?;
            (cert.pem(), key)
        };
        let cert_der = rustls_pemfile_cert(&cert_pem).ok_or_else(|| AuthorityError::BadKey {
            path: cert_path.clone(),
            reason: "no certificate in it".into(),
        })?;
        Ok(Self {
            issuer: Issuer::new(ca_params(), key),
            cert_der,
            cert_path,
            minted: Mutex::new(HashMap::new()),
        })
    }

    /// Where the CA certificate is, to be trusted by the user's clients.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// A TLS server set-up presenting a certificate for `host` (a name or
    /// an IP address), minted on first use.
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, AuthorityError> {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if let Some(config) = self.minted.lock().ok().and_then(|m| m.get(&host).cloned()) {
            return Ok(config);
        }
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, host.clone());
        params.distinguished_name = name;
        params.subject_alt_names = vec![match host.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(host.clone().try_into()?),
        }];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let now = std::time::SystemTime::now();
        params.not_before = (now - std::time::Duration::from_secs(24 * 3600)).into();
        params.not_after = (now + std::time::Duration::from_secs(365 * 24 * 3600)).into();
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), self.cert_der.clone()], key_der)?;
        // HTTP/1.1 only: a WebSocket upgrade is an HTTP/1.1 request.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        if let Ok(mut minted) = self.minted.lock() {
            if minted.len() >= MAX_MINTED {
                minted.clear();
            }
            minted.insert(host, config.clone());
        }
        Ok(config)
    }
}

/// The first certificate of a PEM text.
fn rustls_pemfile_cert(pem: &str) -> Option<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok()
}

/// Writes `bytes` to a new file that only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn made_once_with_a_private_key_then_loaded_the_same() {
        let dir = tempfile::tempdir().expect("a dir");
        let first = Authority::load_or_create(dir.path()).expect("made");
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Authority::load_or_create(dir.path()).expect("loaded");
        assert_eq!(first.cert_der, again.cert_der);
        assert!(again.server_config("example.test").is_ok());
        assert!(again.server_config("127.0.0.1").is_ok());
        assert!(!format!("{again:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_corrupt_key_is_named() {
        let dir = tempfile::tempdir().expect("a dir");
        Authority::load_or_create(dir.path()).expect("made");
        std::fs::write(dir.path().join(KEY_FILE), "garbage").expect("written");
        let error = Authority::load_or_create(dir.path()).expect_err("corrupt");
        assert!(error.to_string().contains("is not a wscope CA key"), "{error}");
    }
}
