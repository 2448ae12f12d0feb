//! [`FileStore`]: the [`OpenIdStore`] over one directory.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use openid_consumer::crypto::random_string;
use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::settings::Settings;
use openid_store_kit::url::{StoreUrl, UrlOption};

use crate::error::{FileError, io};
use crate::keys::{self, LAYOUT_VERSION, LOCK_FILE, Layout, VERSION_FILE};

/// How often a write is retried when cleanup removed its directory in between.
const ATTEMPTS: usize = 4;
/// Temporary files older than this (by modification time) were left by a crashed writer
/// and are removed by [`OpenIdStore::cleanup_associations`].
const STALE_TEMP_SECONDS: u64 = 3_600;

/// An [`OpenIdStore`] keeping each association and each nonce in its own file under one
/// directory. See the [crate documentation](crate) for the layout and semantics.
#[derive(Clone)]
pub struct FileStore {
    layout: Layout,
    timing: Timing,
    sync: bool,
    /// How long an operation waits for the lock file.
    timeout: Duration,
    /// The hour buckets whose own directory entry this process has flushed.
    durable_buckets: Arc<Mutex<Vec<i64>>>,
}

/// Buckets remembered as flushed; beyond, the oldest is forgotten (and flushed again if a
/// nonce ever lands in it, which costs one fsync).
pub(crate) const DURABLE_BUCKETS: usize = 16;

/// Options of a [`FileStore`]: the clock, the nonce window and whether writes are flushed;
/// from [`FileStore::builder`] or [`FileStoreBuilder::from_url`].
///
/// ```
/// use openid_store_file::FileStore;
///
/// # let dir = tempfile::tempdir()?;
/// let store = FileStore::builder(dir.path().join("openid")).sync(false).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FileStoreBuilder {
    dir: PathBuf,
    settings: Settings,
    sync: bool,
}

/// The options of a `file://` URL.
const OPTIONS: &[UrlOption<FileStoreBuilder>] = &[
    UrlOption::flag("sync", FileStoreBuilder::sync),
    UrlOption::millis("timeout_ms", FileStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", FileStoreBuilder::nonce_retention),
];

impl FileStore {
    /// Opens the store in `dir` with the default options, creating the directory and its
    /// layout if needed.
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the path when the directory cannot be created, opened
    /// or written, or was laid out by a newer version of this crate.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::builder(dir.as_ref()).build()
    }

    /// Options for a store in `dir`.
    pub fn builder(dir: impl Into<PathBuf>) -> FileStoreBuilder {
        FileStoreBuilder { dir: dir.into(), settings: Settings::new(), sync: true }
    }

    /// Opens the store a URL names: `file:///absolute/path` (percent-encoded as usual),
    /// with the options `sync` (`true` by default; see [`FileStoreBuilder::sync`]),
    /// `timeout_ms` (how long a call waits for the lock file, default 5000) and
    /// `nonce_retention_s` (seconds a nonce is kept past its window, default 300).
    ///
    /// # Errors
    /// [`StoreError::Config`] for another scheme, a host, a relative path, an unknown
    /// option, and as [`FileStore::open`].
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        FileStoreBuilder::from_url(url)?.build()
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        self.layout.root()
    }

    /// Writes `contents` to a new temporary file, flushed when syncing; returns its path.
    fn write_temp(&self, contents: &[u8]) -> Result<PathBuf, FileError> {
        let name = random_string(20, b"abcdefghijklmnopqrstuvwxyz0123456789").map_err(|e| {
            FileError::Io {
                action: "name a temporary file in",
                path: self.layout.tmp(),
                source: io::Error::other(e),
            }
        })?;
        let path = self.layout.tmp().join(format!("{name}.tmp"));
        let mut file = private_file().open(&path).map_err(io("create", &path))?;
        file.write_all(contents).map_err(io("write", &path))?;
        if self.sync {
            file.sync_all().map_err(io("flush", &path))?;
        }
        Ok(path)
    }

    /// Flushes a directory's entries to disk when syncing.
    fn sync_dir(&self, dir: &Path) -> Result<(), FileError> {
        if self.sync {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io("flush directory", dir))?;
        }
        Ok(())
    }

    pub(crate) fn buckets(&self) -> MutexGuard<'_, Vec<i64>> {
        self.durable_buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds the store's lock file exclusively until the returned file is dropped.
    fn lock(&self) -> Result<File, FileError> {
        lock(self.layout.root(), Mode::Exclusive, self.timeout)
    }

    /// Holds the store's lock file shared (with other writers, not with cleanup) until the
    /// returned file is dropped.
    fn lock_shared(&self) -> Result<File, FileError> {
        lock(self.layout.root(), Mode::Shared, self.timeout)
    }

    fn remove_stale_temps(&self) -> Result<(), FileError> {
        let dir = self.layout.tmp();
        for entry in fs::read_dir(&dir).map_err(io("list", &dir))? {
            let entry = entry.map_err(io("list", &dir))?;
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age.as_secs() > STALE_TEMP_SECONDS);
            if stale {
                remove_if_exists(&entry.path())?;
            }
        }
        Ok(())
    }
}

impl FileStoreBuilder {
    /// Options from a URL, as [`FileStore::from_url`] takes it, to set more before
    /// [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming what is wrong with the URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("file store", url);
        if url.contains('#') {
            return Err(parsed.error("a fragment is not supported").into());
        }
        let Some(rest) = parsed.base().strip_prefix("file://") else {
            return Err(parsed.error("the scheme must be file://").into());
        };
        if !rest.starts_with('/') {
            return Err(parsed.error("expected file:///absolute/path (no host)").into());
        }
        let path = percent_encoding::percent_decode_str(rest)
            .decode_utf8()
            .map_err(|e| parsed.error_from("the path is not UTF-8 once decoded", e))?;
        Ok(parsed.apply(FileStore::builder(path.as_ref()), OPTIONS)?)
    }

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout);

    /// Whether writes are flushed to disk (`fsync`) before they return; on by default.
    ///
    /// On, a nonce file's directory is flushed (the file is empty: its entry is the nonce),
    /// so an acknowledged nonce survives a power loss; an association file's contents are
    /// flushed before it is renamed into place, but not its directory entry (a power cut
    /// may forget an association stored in the last seconds, which is then negotiated
    /// again).
    ///
    /// Off, a write survives a crash of the process but not of the machine: after a power
    /// loss, a nonce recorded in the last seconds may be forgotten (and could be replayed
    /// within its 5-hour window) and a new association may be missing, or its file empty:
    /// an empty or partial file is reported as [`StoreError::Corrupt`], never read as an
    /// association.
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Opens the store, creating the directory and its layout if needed.
    ///
    /// # Errors
    /// As [`FileStore::open`].
    pub fn build(self) -> Result<FileStore, StoreError> {
        self.settings.check("file")?;
        let layout = Layout::new(self.dir);
        let timeout = self.settings.timeout;
        prepare(&layout, timeout)?;
        tracing::debug!(path = %layout.root().display(), "opened file store");
        Ok(FileStore {
            layout,
            timing: self.settings.timing(),
            sync: self.sync,
            timeout,
            durable_buckets: Arc::default(),
        })
    }
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.layout.root())
            .field("sync", &self.sync)
            .field("timing", &self.timing)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl OpenIdStore for FileStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let dir = self.layout.server_dir(server_url);
        let target = dir.join(Layout::association_name(association.handle()));
        let temp = self.write_temp(association.serialize().as_bytes())?;
        // Shared: writers run together, but not while cleanup reads a file and unlinks its
        // path (it would unlink a fresh association renamed over the expired one).
        let _lock = self.lock_shared()?;
        let mut attempt = 0;
        // rename() replaces the target atomically: readers see the old file or the new one.
        let renamed = loop {
            attempt += 1;
            match fs::rename(&temp, &target) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => {
                    private_dirs().create(&dir).map_err(io("create directory", &dir))?;
                }
                other => break other,
            }
        };
        if let Err(e) = renamed {
            let _ = fs::remove_file(&temp);
            return Err(io("write", &target)(e).into());
        }
        // The file's contents were flushed before the rename, so it is never torn; its
        // directory entry is not flushed. An association a power cut forgets is negotiated
        // again (a login holding its handle fails once, as for an expired one): a second
        // fsync per association would buy nothing the protocol needs. Nonces differ: a
        // forgotten nonce could be replayed.
        Ok(())
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let dir = self.layout.server_dir(server_url);
        if let Some(handle) = handle {
            // read_association checked that the file holds the handle its name is for.
            return Ok(read_association(&dir.join(Layout::association_name(handle)))?);
        }
        let mut newest: Option<Association> = None;
        for path in association_files(&dir)? {
            // A file removed since the listing is simply gone (None).
            let Some(association) = read_association(&path)? else { continue };
            if association.is_expired(now) {
                continue;
            }
            let newer = newest.as_ref().is_none_or(|best| {
                (association.issued(), association.handle()) > (best.issued(), best.handle())
            });
            if newer {
                newest = Some(association);
            }
        }
        Ok(newest)
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let dir = self.layout.server_dir(server_url);
        let _lock = self.lock_shared()?;
        let removed = remove_if_exists(&dir.join(Layout::association_name(handle)))?;
        if removed {
            self.sync_dir(&dir)?;
        }
        Ok(removed)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        let dir = self.layout.nonce_dir(nonce.timestamp);
        let path = dir.join(Layout::nonce_name(nonce.server_url, nonce.timestamp, nonce.salt));
        let mut attempt = 0;
        loop {
            attempt += 1;
            // O_EXCL: of all the threads and processes creating this file, exactly one
            // succeeds; the others get AlreadyExists.
            match private_file().open(&path) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => {
                    private_dirs().create(&dir).map_err(io("create directory", &dir))?;
                }
                Err(e) => return Err(io("create nonce file", &path)(e).into()),
            }
        }
        self.sync_dir(&dir)?;
        // The hour bucket's own entry must be durable too, or a power loss could forget the
        // bucket and the nonce in it. Whoever created the directory (this call, another
        // thread, another process) may not have flushed it yet, so each process flushes
        // each bucket's entry once before trusting it.
        let bucket = nonce.timestamp.div_euclid(keys::BUCKET_SECONDS);
        if self.sync && !self.buckets().contains(&bucket) {
            self.sync_dir(&self.layout.nonces())?;
            let mut buckets = self.buckets();
            if buckets.len() >= DURABLE_BUCKETS
                && let Some(oldest) = buckets.iter().copied().min()
            {
                buckets.retain(|b| *b != oldest);
            }
            buckets.push(bucket);
        }
        Ok(true)
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        // No lock: nonce files are created with O_EXCL and never replaced, so unlinking an
        // old one cannot take a new one with it; a writer whose hour directory is removed
        // under it creates it again, and removing a directory that gained a file fails.
        let root = self.layout.nonces();
        let mut removed = 0;
        for bucket in fs::read_dir(&root).map_err(io("list", &root))? {
            let bucket = bucket.map_err(io("list", &root))?;
            let Some(start) = bucket.file_name().to_str().and_then(keys::bucket_start) else {
                continue;
            };
            if start >= oldest {
                continue; // every nonce in it is still in the window
            }
            let dir = bucket.path();
            let whole = start.saturating_add(keys::BUCKET_SECONDS) <= oldest;
            for entry in fs::read_dir(&dir).map_err(io("list", &dir))? {
                let entry = entry.map_err(io("list", &dir))?;
                let name = entry.file_name();
                let Some(timestamp) = name.to_str().and_then(keys::nonce_timestamp) else {
                    continue;
                };
                if (whole || timestamp < oldest) && remove_if_exists(&entry.path())? {
                    removed += 1;
                }
            }
            if whole {
                // Fails harmlessly if a writer just added a file.
                let _ = fs::remove_dir(&dir);
            }
        }
        Ok(removed)
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        let _lock = self.lock()?;
        let root = self.layout.associations();
        let mut removed = 0;
        for server in fs::read_dir(&root).map_err(io("list", &root))? {
            let dir = server.map_err(io("list", &root))?.path();
            for path in association_files(&dir)? {
                let expired = read_association(&path)?.is_some_and(|a| a.is_expired(now));
                if expired && remove_if_exists(&path)? {
                    removed += 1;
                }
            }
            // Fails harmlessly if the directory is not empty.
            let _ = fs::remove_dir(&dir);
        }
        self.remove_stale_temps()?;
        Ok(removed)
    }
}

/// Creates the layout (under the lock, so concurrent first opens agree) and proves the
/// directory writable.
fn prepare(layout: &Layout, timeout: Duration) -> Result<(), FileError> {
    let root = layout.root();
    let setup = |action, path: &Path| {
        let path = path.to_owned();
        move |source| FileError::Setup { action, path, source }
    };
    private_dirs().create(root).map_err(setup("create directory", root))?;
    let _lock = lock(root, Mode::Exclusive, timeout).map_err(|e| match e {
        FileError::Io { action, path, source } => FileError::Setup { action, path, source },
        other => other,
    })?;
    let version_path = root.join(VERSION_FILE);
    match fs::read_to_string(&version_path) {
        Ok(found) if found.trim() == LAYOUT_VERSION => {}
        Ok(found) => {
            return Err(FileError::Version {
                path: version_path,
                found: found.trim().to_owned(),
                expected: LAYOUT_VERSION,
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut file = private_file()
                .open(&version_path)
                .map_err(setup("create the version file", &version_path))?;
            writeln!(file, "{LAYOUT_VERSION}")
                .and_then(|()| file.sync_all())
                .map_err(setup("write the version file", &version_path))?;
        }
        Err(e) => return Err(setup("read the version file", &version_path)(e)),
    }
    for dir in [layout.tmp(), layout.associations(), layout.nonces()] {
        private_dirs().create(&dir).map_err(setup("create directory", &dir))?;
    }
    // The lock file and version may exist from before: prove that writing works now.
    let probe = layout.tmp().join(format!("probe-{}.tmp", std::process::id()));
    fs::write(&probe, b"").map_err(setup("write a file in", &layout.tmp()))?;
    fs::remove_file(&probe).map_err(setup("remove a file in", &layout.tmp()))?;
    Ok(())
}

fn read_association(path: &Path) -> Result<Option<Association>, FileError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    let text = String::from_utf8(bytes)
        .map_err(|source| FileError::NotText { path: path.to_owned(), source })?;
    let association = Association::deserialize(&text)
        .map_err(|source| FileError::BadAssociation { path: path.to_owned(), source })?;
    // A file renamed or copied to the wrong name would answer for another handle.
    let expected = Layout::association_name(association.handle());
    if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        return Err(FileError::WrongHandle {
            path: path.to_owned(),
            found: association.handle().to_owned(),
        });
    }
    Ok(Some(association))
}

/// Every association file of a server directory (none if it does not exist).
fn association_files(dir: &Path) -> Result<Vec<PathBuf>, FileError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("list", dir)(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io("list", dir))?;
        let name = entry.file_name();
        if name.to_str().is_some_and(keys::is_hash) {
            files.push(entry.path());
        } else {
            tracing::warn!(path = %entry.path().display(), "ignoring a foreign file in the file store");
        }
    }
    Ok(files)
}

/// How [`lock`] holds the lock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// With no one else: set-up and cleanups.
    Exclusive,
    /// With other holders in this mode: association writes and removals.
    Shared,
}

/// Locks `<root>/lock` (std's `File::try_lock`, `flock` on Unix) until the file is dropped,
/// waiting at most `timeout`.
///
/// `flock` itself waits with no bound: a process stopped while holding the lock (a cleanup
/// of a process under a debugger, on a disk that stopped answering) would block every
/// writer. So the lock is tried, and tried again after a pause growing from 1 to 50 ms,
/// until the deadline.
fn lock(root: &Path, mode: Mode, timeout: Duration) -> Result<File, FileError> {
    let (file, path) = open_lock_file(root)?;
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        let tried = match mode {
            Mode::Exclusive => file.try_lock(),
            Mode::Shared => file.try_lock_shared(),
        };
        match tried {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FileError::LockTimeout { path, waited: timeout });
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(MAX_LOCK_PAUSE);
    }
}

/// The longest pause between two tries of the lock file: short against the time limit,
/// long enough that waiting costs no measurable CPU.
const MAX_LOCK_PAUSE: Duration = Duration::from_millis(50);

/// Opens (creating) `<root>/lock`, returning it and its path.
fn open_lock_file(root: &Path) -> Result<(File, PathBuf), FileError> {
    let path = root.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io("open lock file", &path))?;
    Ok((file, path))
}

/// Removes a file; `false` if it did not exist.
fn remove_if_exists(path: &Path) -> Result<bool, FileError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("remove", path)(e)),
    }
}

/// Options creating a new file that only the owner can read (association secrets).
fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// A recursive directory builder making owner-only directories.
fn private_dirs() -> DirBuilder {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}
