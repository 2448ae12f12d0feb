//! [`FileStore`]: the [`OpenIdStore`] over one directory.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openid_consumer::crypto::random_string;
use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};

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
    clock: Arc<dyn Clock>,
    sync: bool,
}

impl FileStore {
    /// Opens the store in `dir`, creating the directory and its layout if needed.
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the path when the directory cannot be created, opened
    /// or written, or was laid out by a newer version of this crate.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let layout = Layout::new(dir.as_ref().to_owned());
        prepare(&layout)?;
        tracing::debug!(path = %layout.root().display(), "opened file store");
        Ok(Self { layout, clock: Arc::new(SystemClock), sync: true })
    }

    /// Opens the store named by a URL `file:///absolute/path` (percent-encoded as usual).
    ///
    /// # Errors
    /// [`StoreError::Config`] for another scheme, a host, a relative path, a query or
    /// fragment, and as [`FileStore::open`].
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let bad = |reason| FileError::Url { url: url.to_owned(), reason };
        let rest = url.strip_prefix("file://").ok_or_else(|| bad("the scheme must be file://"))?;
        if rest.contains(['?', '#']) {
            return Err(bad("query and fragment are not supported").into());
        }
        if !rest.starts_with('/') {
            return Err(bad("expected file:///absolute/path (no host)").into());
        }
        let path = percent_encoding::percent_decode_str(rest)
            .decode_utf8()
            .map_err(|_| bad("the path is not UTF-8 once decoded"))?;
        Self::open(path.as_ref())
    }

    /// The same store reading time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Whether writes are flushed to disk (`fsync`) before they return; on by default.
    ///
    /// Off, a write survives a crash of the process but not of the machine: after a power
    /// loss, a nonce recorded in the last seconds may be forgotten (and could be replayed
    /// within its 5-hour window) and a new association may be missing. An association file
    /// is never torn either way.
    #[must_use]
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
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

    /// Holds the store's lock file exclusively until the returned file is dropped.
    fn lock(&self) -> Result<File, FileError> {
        lock(self.layout.root())
    }

    /// Holds the store's lock file shared (with other writers, not with cleanup) until the
    /// returned file is dropped.
    fn lock_shared(&self) -> Result<File, FileError> {
        let (file, path) = open_lock_file(self.layout.root())?;
        file.lock_shared().map_err(io("lock", &path))?;
        Ok(file)
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

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.layout.root())
            .field("sync", &self.sync)
            .field("clock", &self.clock)
            .finish()
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
        let mut created = false;
        // rename() replaces the target atomically: readers see the old file or the new one.
        let renamed = loop {
            attempt += 1;
            match fs::rename(&temp, &target) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => {
                    private_dirs().create(&dir).map_err(io("create directory", &dir))?;
                    created = true;
                }
                other => break other,
            }
        };
        if let Err(e) = renamed {
            let _ = fs::remove_file(&temp);
            return Err(io("write", &target)(e).into());
        }
        self.sync_dir(&dir)?;
        if created {
            // The new directory's own entry must be durable too.
            self.sync_dir(&self.layout.associations())?;
        }
        Ok(())
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        let now = self.clock.now();
        let dir = self.layout.server_dir(server_url);
        if let Some(handle) = handle {
            let found = read_association(&dir.join(Layout::association_name(handle)))?;
            return Ok(found.filter(|a| a.handle() == handle && !a.is_expired(now)));
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

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        if !within_skew(timestamp, self.clock.now(), SKEW) {
            return Ok(false);
        }
        let dir = self.layout.nonce_dir(timestamp);
        let path = dir.join(Layout::nonce_name(server_url, timestamp, salt));
        let mut attempt = 0;
        let mut created = false;
        loop {
            attempt += 1;
            // O_EXCL: of all the threads and processes creating this file, exactly one
            // succeeds; the others get AlreadyExists.
            match private_file().open(&path) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => {
                    private_dirs().create(&dir).map_err(io("create directory", &dir))?;
                    created = true;
                }
                Err(e) => return Err(io("create nonce file", &path)(e).into()),
            }
        }
        self.sync_dir(&dir)?;
        if created {
            // The new hour bucket's own entry must be durable too, or a power loss could
            // forget the bucket and the nonce in it.
            self.sync_dir(&self.layout.nonces())?;
        }
        Ok(true)
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let _lock = self.lock()?;
        let oldest_accepted = self.clock.now().saturating_sub(SKEW);
        let root = self.layout.nonces();
        let mut removed = 0;
        for bucket in fs::read_dir(&root).map_err(io("list", &root))? {
            let bucket = bucket.map_err(io("list", &root))?;
            let Some(start) = bucket.file_name().to_str().and_then(keys::bucket_start) else {
                continue;
            };
            if start >= oldest_accepted {
                continue; // every nonce in it is still in the window
            }
            let dir = bucket.path();
            let whole = start.saturating_add(keys::BUCKET_SECONDS) <= oldest_accepted;
            for entry in fs::read_dir(&dir).map_err(io("list", &dir))? {
                let entry = entry.map_err(io("list", &dir))?;
                let name = entry.file_name();
                let Some(timestamp) = name.to_str().and_then(keys::nonce_timestamp) else {
                    continue;
                };
                if (whole || timestamp < oldest_accepted) && remove_if_exists(&entry.path())? {
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

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        let _lock = self.lock()?;
        let now = self.clock.now();
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
fn prepare(layout: &Layout) -> Result<(), FileError> {
    let root = layout.root();
    let setup = |action, path: &Path| {
        let path = path.to_owned();
        move |source| FileError::Setup { action, path, source }
    };
    private_dirs().create(root).map_err(setup("create directory", root))?;
    let _lock = lock(root).map_err(|e| match e {
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

/// Locks `<root>/lock` exclusively (std's `File::lock`, `flock` on Unix) until the file is
/// dropped.
fn lock(root: &Path) -> Result<File, FileError> {
    let (file, path) = open_lock_file(root)?;
    file.lock().map_err(io("lock", &path))?;
    Ok(file)
}

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
