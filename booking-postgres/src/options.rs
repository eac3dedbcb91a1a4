//! How a store is opened.

use std::sync::Arc;

use booking_core::{Clock, Policy};

/// Options of [`PgStore::connect`](crate::PgStore::connect).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct PgOptions {
    /// The booking policy.
    pub policy: Policy,
    /// A clock to judge holds by instead of the database's (tests inject a
    /// manual one); `None` (the default): the database's
    /// `transaction_timestamp()`, one clock for every server process.
    pub clock: Option<Arc<dyn Clock>>,
    /// The most connections in the pool (default 16).
    pub max_connections: Option<usize>,
    /// TLS with these trusted certificates (feature `tls`). With TLS
    /// configured, the URL's `sslmode` decides when it is used: `prefer`
    /// (the default) when the server offers it, `require` always, `disable`
    /// never. The server's certificate is always verified, including its
    /// host name. `None` (the default): plain connections, unless the URL
    /// says `sslmode=require`, which trusts the system's certificates.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::TlsRoots>,
}

impl PgOptions {
    /// These options with `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// These options with `clock` instead of the database's.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// These options with a pool of at most `connections`.
    #[must_use]
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// These options with TLS, trusting `roots` (feature `tls`).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn with_tls(mut self, roots: crate::TlsRoots) -> Self {
        self.tls = Some(roots);
        self
    }
}
