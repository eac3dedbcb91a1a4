//! TLS for the connections (feature `tls`): rustls with the *ring*
//! provider, verifying the server's certificate and host name.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::ConnectError;

/// The certificates a TLS connection trusts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TlsRoots {
    /// The operating system's trusted certificates (on Debian, those in
    /// `/etc/ssl/certs`): right for managed databases whose certificates a
    /// public or system-installed authority signed.
    System,
    /// Only these PEM-encoded certificates: a private authority's, or a
    /// self-signed server certificate (PostgreSQL's `root.crt`).
    Pem(Vec<u8>),
}

/// A connector trusting `roots`.
pub(crate) fn connector(roots: &TlsRoots) -> Result<MakeRustlsConnect, ConnectError> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        TlsRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(ConnectError::Tls(format!(
                    "no usable system root certificates ({:?})",
                    found.errors
                )));
            }
        }
        TlsRoots::Pem(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| ConnectError::Tls(format!("bad PEM: {e}")))?;
                store
                    .add(cert)
                    .map_err(|e| ConnectError::Tls(format!("bad certificate: {e}")))?;
            }
            if store.is_empty() {
                return Err(ConnectError::Tls(
                    "the PEM data holds no certificate".to_owned(),
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
