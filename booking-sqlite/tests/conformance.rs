//! The whole conformance suite of booking-core, on a SQLite file and in memory.

use booking_core::testkit::{StoreFactory, TestContext};
use booking_sqlite::{SqliteOptions, SqliteStore};

/// A store on a new file in a new temporary directory, removed when the
/// test passes.
struct File;

fn options(ctx: TestContext) -> SqliteOptions {
    SqliteOptions::default()
        .with_clock(ctx.clock)
        .with_policy(ctx.policy)
}

impl StoreFactory for File {
    type Store = SqliteStore;

    async fn create(&self, ctx: TestContext) -> SqliteStore {
        let dir = tempfile::tempdir().expect("a temporary directory").keep();
        SqliteStore::open(dir.join("booking.db"), options(ctx)).expect("open")
    }

    async fn dispose(&self, store: SqliteStore) {
        let dir = store.path().and_then(|p| p.parent()).map(ToOwned::to_owned);
        drop(store);
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).expect("remove the test database");
        }
    }
}

struct Memory;

impl StoreFactory for Memory {
    type Store = SqliteStore;

    async fn create(&self, ctx: TestContext) -> SqliteStore {
        SqliteStore::open_in_memory(options(ctx)).expect("open in memory")
    }
}

mod file {
    booking_core::conformance_tests!(super::File);
}

mod memory {
    booking_core::conformance_tests!(super::Memory);
}
