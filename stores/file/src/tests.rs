//! Faults and bad input: corrupt files, unusable directories, URLs.

use std::fs;
use std::sync::Arc;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, ManualClock, OpenIdStore, StoreError};

use crate::FileStore;
use crate::keys::Layout;

const NOW: i64 = 1_700_000_000;
const SERVER: &str = "https://op.example/server";

fn store() -> (tempfile::TempDir, FileStore) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        FileStore::builder(dir.path()).clock(Arc::new(ManualClock::new(NOW))).build().unwrap();
    (dir, store)
}

fn association(handle: &str) -> Association {
    Association::new(handle, vec![3; 20], NOW, 600, AssociationType::HmacSha1).unwrap()
}

fn association_path(store: &FileStore, handle: &str) -> std::path::PathBuf {
    Layout::new(store.path().to_owned()).server_dir(SERVER).join(Layout::association_name(handle))
}

#[test]
fn a_corrupt_association_file_is_corrupt_with_and_without_handle() {
    let (_dir, store) = store();
    store.store_association(SERVER, &association("h")).unwrap();
    let path = association_path(&store, "h");
    for garbage in [&b"version:2\nhandle:h\n"[..], b"", b"\xff\xfe not text", b"version:9\n"] {
        fs::write(&path, garbage).unwrap();
        for handle in [Some("h"), None] {
            let error = store.get_association(SERVER, handle).unwrap_err();
            assert!(error.is_corrupt(), "{error:?}");
            assert!(error.to_string().contains(&path.display().to_string()), "{error}");
        }
        assert!(store.cleanup_associations().unwrap_err().is_corrupt());
    }
}

#[test]
fn a_file_under_another_handles_name_is_corrupt_not_that_association() {
    let (_dir, store) = store();
    store.store_association(SERVER, &association("real")).unwrap();
    fs::copy(association_path(&store, "real"), association_path(&store, "other")).unwrap();
    let error = store.get_association(SERVER, Some("other")).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(store.get_association(SERVER, None).unwrap_err().is_corrupt());
}

#[test]
fn an_unusable_directory_is_a_config_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, b"").unwrap();
    let target = file.join("store");
    let error = FileStore::open(&target).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains(&target.display().to_string()), "{error}");
    assert!(std::error::Error::source(&error).is_some(), "keeps the io::Error");
}

#[test]
fn a_newer_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    FileStore::open(dir.path()).unwrap();
    fs::write(dir.path().join("openid-store-version"), "2\n").unwrap();
    let error = FileStore::open(dir.path()).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains("layout version \"2\""), "{error}");
}

#[test]
fn io_errors_are_errors_never_fresh_nonces_or_missing_associations() {
    let (_dir, store) = store();
    store.store_association(SERVER, &association("h")).unwrap();
    // Replace both data directories with plain files: every path below them fails ENOTDIR.
    for sub in ["nonces", "associations"] {
        let path = store.path().join(sub);
        fs::remove_dir_all(&path).unwrap();
        fs::write(&path, b"").unwrap();
    }
    let error = store.use_nonce(SERVER, NOW, "salt").unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    let error = store.get_association(SERVER, Some("h")).unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    assert!(store.get_association(SERVER, None).unwrap_err().is_unavailable());
    assert!(store.remove_association(SERVER, "h").unwrap_err().is_unavailable());
    assert!(store.store_association(SERVER, &association("x")).unwrap_err().is_unavailable());
    assert!(store.cleanup_nonces().unwrap_err().is_unavailable());
}

#[test]
fn files_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, store) = store();
    store.store_association(SERVER, &association("h")).unwrap();
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&association_path(&store, "h")), 0o600);
    assert_eq!(mode(&store.path().join("associations")), 0o700);
}

#[test]
fn from_url_accepts_absolute_file_urls_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("with space");
    let url = format!("file://{}", path.display()).replace(' ', "%20");
    let store = FileStore::from_url(&url).unwrap();
    assert_eq!(store.path(), path);
    let unsynced = FileStore::from_url(&format!("{url}?sync=false")).unwrap();
    assert!(format!("{unsynced:?}").contains("sync: false"), "{unsynced:?}");
    for bad in ["sqlite:///x", "file://host/x", "file://relative", "file:///x?fsync=0"] {
        let error = FileStore::from_url(bad).unwrap_err();
        assert!(error.is_config(), "{bad}: {error:?}");
        assert!(error.to_string().contains(bad), "{error}");
    }
    // Text with no scheme at all may be a mistyped password: it is not shown.
    let error = FileStore::from_url("/x").unwrap_err();
    assert!(error.is_config() && error.to_string().contains("<URL without scheme>"), "{error}");
    let error = FileStore::from_url("file:///x?fsync=0").unwrap_err().to_string();
    assert!(
        error.contains(
            "unknown option \"fsync\" (the options are sync, timeout_ms, nonce_retention_s)"
        ),
        "{error}"
    );
    let kept = FileStore::from_url(&format!("{url}?nonce_retention_s=60")).unwrap();
    assert_eq!(kept.timing().retention(), 60);
}

#[test]
fn cleanup_deletes_whole_expired_hours_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let store = FileStore::builder(dir.path()).clock(clock.clone()).build().unwrap();
    for i in 0..10 {
        assert!(store.use_nonce(SERVER, NOW - i * 1_000, "s").unwrap());
    }
    let hours = |store: &FileStore| fs::read_dir(store.path().join("nonces")).unwrap().count();
    let before = hours(&store);
    clock.advance(openid_consumer::nonce::SKEW);
    // Window now starts at NOW: only the nonce at NOW is kept.
    assert_eq!(store.cleanup_nonces().unwrap(), 9);
    assert!(hours(&store) < before);
    assert!(!store.use_nonce(SERVER, NOW, "s").unwrap());
}

#[test]
fn each_store_flushes_a_bucket_entry_it_did_not_create_once() {
    let (dir, first) = store();
    assert!(first.use_nonce(SERVER, NOW, "a").unwrap());
    let bucket = NOW.div_euclid(crate::keys::BUCKET_SECONDS);
    assert_eq!(*first.buckets(), [bucket]);
    // Another process's store finds the directory made: it still flushes its entry, once.
    let second =
        FileStore::builder(dir.path()).clock(Arc::new(ManualClock::new(NOW))).build().unwrap();
    assert!(second.buckets().is_empty());
    assert!(second.use_nonce(SERVER, NOW, "b").unwrap());
    assert!(second.use_nonce(SERVER, NOW, "c").unwrap());
    assert_eq!(*second.buckets(), [bucket]);
    // The memory of flushed buckets stays small however many hours pass.
    let clock = Arc::new(ManualClock::new(NOW));
    let moving = FileStore::builder(dir.path()).clock(clock.clone()).build().unwrap();
    for hour in 0..40 {
        let now = NOW + hour * crate::keys::BUCKET_SECONDS;
        clock.set(now);
        assert!(moving.use_nonce(SERVER, now, "x").unwrap());
    }
    assert_eq!(moving.buckets().len(), crate::store::DURABLE_BUCKETS);
    let unsynced = FileStore::builder(dir.path())
        .clock(Arc::new(ManualClock::new(NOW)))
        .sync(false)
        .build()
        .unwrap();
    assert!(unsynced.use_nonce(SERVER, NOW, "z").unwrap());
    assert!(unsynced.buckets().is_empty(), "nothing flushed, nothing remembered");
}
