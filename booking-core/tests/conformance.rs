//! `MemoryStore` runs the whole conformance suite.

use booking_core::MemoryStore;
use booking_core::testkit::{StoreFactory, TestContext};

struct Memory;

impl StoreFactory for Memory {
    type Store = MemoryStore;

    async fn create(&self, ctx: TestContext) -> MemoryStore {
        MemoryStore::new(ctx.clock, ctx.policy)
    }
}

booking_core::conformance_tests!(Memory);
