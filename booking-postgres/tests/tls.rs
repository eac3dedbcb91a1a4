//! TLS (feature `tls`): against a server of the test's own that offers a
//! certificate for `localhost`, a store trusting that certificate connects
//! over TLS and works; one trusting another certificate, one reaching the
//! server by a name the certificate does not carry, and one trusting only
//! the system's certificates are all refused.

use booking_core::{AccountStore, Username};
use booking_postgres::testkit::{Cluster, ServerCertificate};
use booking_postgres::{ConnectError, PgOptions, PgStore, TlsRoots};

/// A self-signed certificate for `localhost`.
fn certificate() -> ServerCertificate {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    ServerCertificate {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
    }
}

fn trusting(certificate: &ServerCertificate) -> PgOptions {
    PgOptions::default().with_tls(TlsRoots::Pem(certificate.cert_pem.clone().into_bytes()))
}

#[tokio::test]
async fn tls_connections_verify_the_server() {
    let server = certificate();
    let cluster = Cluster::start_with_tls(&server);
    // Reach 127.0.0.1, but verify the certificate as `localhost`'s.
    let url = |host: &str| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode=require&hostaddr=127.0.0.1",
            cluster.port()
        )
    };

    let store = PgStore::connect(&url("localhost"), trusting(&server))
        .await
        .expect("a store trusting the server's certificate connects");
    let client = store.pool().get().await.unwrap();
    let encrypted: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(encrypted, "the pooled connection uses TLS");
    drop(client);
    store
        .create_user(&Username::new("alice").unwrap(), "hash")
        .await
        .expect("the store works over TLS");

    // Each refusal names its reason (the error's `Debug` form carries it).
    let refused = [
        (
            "another certificate",
            url("localhost"),
            trusting(&certificate()),
            "InvalidCertificate",
        ),
        (
            "another host name",
            url("db.invalid"),
            trusting(&server),
            "NotValidForName",
        ),
        // `sslmode=require` alone trusts the system's certificates only.
        (
            "only the system's certificates",
            url("localhost"),
            PgOptions::default(),
            "UnknownIssuer",
        ),
    ];
    for (case, url, options, reason) in refused {
        let outcome = PgStore::connect(&url, options).await;
        assert!(
            matches!(&outcome, Err(ConnectError::Connect(e)) if format!("{e:?}").contains(reason)),
            "{case}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn unusable_tls_settings_are_a_typed_error() {
    for pem in [b"".to_vec(), b"not a certificate".to_vec()] {
        let options = PgOptions::default().with_tls(TlsRoots::Pem(pem));
        // The URL is never dialled: the settings are checked first.
        let outcome = PgStore::connect("postgres://postgres@127.0.0.1:1/none", options).await;
        assert!(matches!(outcome, Err(ConnectError::Tls(_))), "{outcome:?}");
    }
}
