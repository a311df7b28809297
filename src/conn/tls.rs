//! The rustls client configuration for wss://.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A client certificate chain and its key, for mutual TLS.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: Arc<PrivateKeyDer<'static>>,
}

/// What the user asked of TLS.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra trusted roots, e.g. from `--cacert`.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Accept any server certificate (`--insecure`).
    pub insecure: bool,
    /// Present this certificate when the server asks (`--cert`, `--key`).
    pub identity: Option<ClientIdentity>,
}

/// Builds the client config: the system's roots plus the bundled webpki roots
/// (for machines without a CA store), plus any extra roots the user trusts.
///
/// The ring provider is passed explicitly so a wss connection never depends
/// on a process-wide default provider having been installed.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in &options.extra_roots {
            roots.add(root.clone())?;
        }
        builder.with_root_certificates(roots)
    };
    let mut config = match &options.identity {
        Some(identity) => builder.with_client_auth_cert(identity.certs.clone(), identity.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    // WebSocket upgrades are HTTP/1.1; say so in case the server also speaks h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `--insecure`: any certificate is accepted, but the handshake signatures
/// are still checked so the session itself is sound.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads every certificate from a PEM file, for `--cacert` and `--cert`.
pub fn load_pem_certs(path: &std::path::Path) -> std::io::Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    if certs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no PEM certificates found in the file",
        ));
    }
    Ok(certs)
}

/// Reads the first private key from a PEM file, for `--key`.
pub fn load_pem_key(path: &std::path::Path) -> std::io::Result<PrivateKeyDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    PrivateKeyDer::from_pem_file(path).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "no PEM private key found in the file")
        }
        other => pem_error(other),
    })
}

/// A PEM error as an I/O error, keeping a file that cannot be read as one.
fn pem_error(error: rustls::pki_types::pem::Error) -> std::io::Error {
    match error {
        rustls::pki_types::pem::Error::Io(io) => io,
        other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
    }
}
