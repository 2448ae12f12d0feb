//! Cleanup racing a writer must never delete the association the writer just stored.
// See the store review: cleanup read the expired file, a writer renamed a fresh association
// onto the same path, and cleanup unlinked it (1,004 of 3,000 rounds lost it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, ManualClock, OpenIdStore};
use openid_store_file::FileStore;

#[test]
fn cleanup_never_deletes_an_association_stored_during_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(1_000));
    let store = FileStore::builder(dir.path()).clock(clock).sync(false).build().unwrap();
    let server = "https://op.example/server";
    for round in 0..1_000u32 {
        let expired = Association::new("h", vec![0; 20], 0, 10, AssociationType::HmacSha1).unwrap();
        store.store_association(server, &expired).unwrap();
        let secret: Vec<u8> = round.to_be_bytes().iter().copied().cycle().take(20).collect();
        let fresh = Association::new("h", secret, 1_000, 600, AssociationType::HmacSha1).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| store.cleanup_associations().unwrap());
            scope.spawn(|| store.store_association(server, &fresh).unwrap());
        });
        assert_eq!(store.get_association(server, Some("h")).unwrap(), Some(fresh), "round {round}");
    }
}
