//! What the SQL stores share apart from their dialects: the names of their tables, checked
//! before they are written into statements; which migrations a schema still needs; and
//! reading an association back from a row, strictly.

use std::error::Error as StdError;

use openid_consumer::crypto::{AssociationType, UnknownTypeError};
use openid_consumer::store::{Association, AssociationError, StoreError};

/// The prefix of the default table names.
pub const DEFAULT_TABLE_PREFIX: &str = "openid_";

/// The three tables of a SQL store: associations, nonces, and the schema version.
///
/// The version table is named after the associations table (`<associations>_schema_version`)
/// unless named itself: two stores that share a database with tables of their own then
/// have versions of their own too, and migrate independently. A table named explicitly
/// keeps its name whatever prefix is set before or after ([`TableNames::set_prefix`]), so
/// the order of a URL's options cannot move a store to other tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    associations: String,
    nonces: String,
    schema_version: String,
    /// Whether the associations table was named, rather than derived from a prefix.
    associations_named: bool,
    /// Whether the nonces table was named, rather than derived from a prefix.
    nonces_named: bool,
    /// Whether the version table was named, rather than derived from the associations.
    version_named: bool,
}

/// A table or schema name a SQL store cannot write into its statements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Not a plain identifier, too long, or reserved.
    #[error(
        "invalid {dialect} name {name:?}: use 1 to {max_len} ASCII letters, digits or \
         underscores, not starting with a digit{reserved}"
    )]
    Invalid {
        /// The database (`"PostgreSQL"`).
        dialect: &'static str,
        /// The name as given.
        name: String,
        /// The longest name the database takes.
        max_len: usize,
        /// `, nor with <prefix>` for a prefix the database reserves, or nothing.
        reserved: String,
    },
    /// Two tables with one name.
    #[error("the {dialect} tables need three different names, not {names:?}")]
    Same {
        /// The database.
        dialect: &'static str,
        /// The names given.
        names: [String; 3],
    },
}

impl TableNames {
    /// `<prefix>associations`, `<prefix>nonces` and `<prefix>associations_schema_version`.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            associations: format!("{prefix}associations"),
            nonces: format!("{prefix}nonces"),
            schema_version: format!("{prefix}associations_schema_version"),
            associations_named: false,
            nonces_named: false,
            version_named: false,
        }
    }

    /// Derives from `prefix` the names of the tables not named explicitly, before or after.
    pub fn set_prefix(&mut self, prefix: &str) {
        if !self.associations_named {
            self.associations = format!("{prefix}associations");
        }
        if !self.nonces_named {
            self.nonces = format!("{prefix}nonces");
        }
        if !self.version_named {
            self.schema_version = format!("{}_schema_version", self.associations);
        }
    }

    /// The associations table.
    pub fn associations(&self) -> &str {
        &self.associations
    }

    /// The nonces table.
    pub fn nonces(&self) -> &str {
        &self.nonces
    }

    /// The schema version table.
    pub fn schema_version(&self) -> &str {
        &self.schema_version
    }

    /// Names the associations table (and the version table after it, unless named).
    pub fn set_associations(&mut self, name: &str) {
        name.clone_into(&mut self.associations);
        self.associations_named = true;
        if !self.version_named {
            self.schema_version = format!("{name}_schema_version");
        }
    }

    /// Names the nonces table.
    pub fn set_nonces(&mut self, name: &str) {
        name.clone_into(&mut self.nonces);
        self.nonces_named = true;
    }

    /// Names the schema version table.
    pub fn set_schema_version(&mut self, name: &str) {
        name.clone_into(&mut self.schema_version);
        self.version_named = true;
    }

    /// Checks that each name is a plain identifier of at most `max_len` bytes, not
    /// starting with a `reserved` prefix (compared without case), and that the three
    /// differ: then a name can be written into SQL, quoted, without escaping.
    ///
    /// # Errors
    /// [`NameError`] naming the first bad name.
    pub fn check(
        &self,
        dialect: &'static str,
        max_len: usize,
        reserved: Option<&str>,
    ) -> Result<(), NameError> {
        let names = [&self.associations, &self.nonces, &self.schema_version];
        for name in names {
            check_name(dialect, name, max_len, reserved)?;
        }
        if names[0] == names[1] || names[0] == names[2] || names[1] == names[2] {
            return Err(NameError::Same { dialect, names: names.map(Clone::clone) });
        }
        Ok(())
    }
}

impl Default for TableNames {
    fn default() -> Self {
        Self::with_prefix(DEFAULT_TABLE_PREFIX)
    }
}

/// Checks a schema or table name that a SQL store writes into its statements: ASCII
/// letters, digits and `_`, not starting with a digit (nor with `reserved`, compared
/// without case), at most `max_len` bytes, so it can be quoted without escaping.
///
/// # Errors
/// [`NameError::Invalid`] saying what a valid name looks like.
pub fn check_name(
    dialect: &'static str,
    name: &str,
    max_len: usize,
    reserved: Option<&str>,
) -> Result<(), NameError> {
    let is_reserved = reserved.is_some_and(|prefix| {
        name.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    });
    let plain = !name.is_empty()
        && name.len() <= max_len
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !is_reserved;
    if plain {
        return Ok(());
    }
    Err(NameError::Invalid {
        dialect,
        name: name.to_owned(),
        max_len,
        reserved: reserved.map(|prefix| format!(", nor with {prefix}")).unwrap_or_default(),
    })
}

impl From<NameError> for StoreError {
    fn from(error: NameError) -> Self {
        StoreError::config(error.to_string(), None)
    }
}

/// The statement of each operation of a SQL store, in its dialect, with the table names
/// written in: built once, when the store is. The names say what each does; the
/// parameters are the store's to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// Inserts or replaces an association.
    pub store_association: String,
    /// Reads the association of a server URL and handle, if not expired.
    pub get_by_handle: String,
    /// Reads the newest association of a server URL not expired.
    pub get_newest: String,
    /// Deletes an association.
    pub remove_association: String,
    /// Inserts a nonce, once.
    pub use_nonce: String,
    /// Deletes the nonces older than a time: all of them, or, where the store cleans up in
    /// batches, at most a batch (the dialect's statement then takes the batch size too).
    pub cleanup_nonces: String,
    /// Deletes the associations expired at a time.
    pub cleanup_associations: String,
}

/// A schema newer than the code reading it: `found` was written by a later version that
/// knows `supported` no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("schema version {found} is newer than this library's {supported}")]
pub struct NewerSchema {
    /// The version in the database.
    pub found: i64,
    /// The newest version this code knows.
    pub supported: i64,
}

/// The migrations a schema at version `current` still needs, with the version each brings
/// it to: `steps[i]` brings the schema to version `i + 1`.
///
/// # Errors
/// [`NewerSchema`] when `current` is past the last step: a newer library wrote it, and
/// this one must not touch it.
pub fn pending<M>(steps: &[M], current: i64) -> Result<Vec<(i64, &M)>, NewerSchema> {
    let supported = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    if current > supported {
        return Err(NewerSchema { found: current, supported });
    }
    Ok((1..).zip(steps).filter(|(version, _)| *version > current).collect())
}

/// A SQL store's tables hold what this code does not read: a row that is no association,
/// or a schema migrated by a newer version. `R` says why a row could not be read (a column
/// of the wrong type, the values of [`BadRow`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError<R: StdError + Send + Sync + 'static> {
    /// A row of the associations table is not an association.
    #[error("{target}: bad association row in {table}")]
    BadRow {
        /// The database, never with a password.
        target: String,
        /// The associations table.
        table: String,
        /// Why the row could not be read.
        #[source]
        source: R,
    },
    /// The tables were migrated by a newer version of the store's crate.
    #[error("{target}, tables {table}: {newer}; upgrade {package}")]
    TooNew {
        /// The database, never with a password.
        target: String,
        /// The version table.
        table: String,
        /// The versions.
        newer: NewerSchema,
        /// The crate to upgrade (`openid-store-postgres`).
        package: &'static str,
    },
    /// The tables are older than this code reads: never created, or at a version it must
    /// first upgrade. The store was built without migrating.
    #[error(
        "{target}, tables {table}: {}, but this library needs version {needed}: {fix}",
        describe_version(*found)
    )]
    Behind {
        /// The database, never with a password.
        target: String,
        /// The version table.
        table: String,
        /// The version in the database (`None`: no tables yet).
        found: Option<i64>,
        /// The version this code reads and writes.
        needed: i64,
        /// What to run (`run PostgresStore::migrate, or connect with ?migrate=true`).
        fix: &'static str,
    },
}

/// How [`SchemaError::Behind`] says what the database holds.
fn describe_version(found: Option<i64>) -> String {
    found.map_or_else(|| "no schema yet".to_owned(), |v| format!("schema version {v}"))
}

/// Whether a schema at version `found` (`None`: no tables) is the one `steps` build, for
/// a store built without migrating.
///
/// # Errors
/// [`NewerSchema`] when a newer library wrote it; `Ok(false)` when it is behind (the store
/// reports [`SchemaError::Behind`] with how to migrate).
pub fn is_current<M>(steps: &[M], found: Option<i64>) -> Result<bool, NewerSchema> {
    let supported = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    match found {
        Some(found) if found > supported => Err(NewerSchema { found, supported }),
        Some(found) => Ok(found == supported),
        None => Ok(false),
    }
}

/// What the store `package` built without migrating checks first: the schema version
/// `found` in `table` of `target` is the one `steps` build, or the error says what to do
/// ([`SchemaError::Behind`] with `fix`, [`SchemaError::TooNew`] naming `package`).
///
/// # Errors
/// [`SchemaError::Behind`] or [`SchemaError::TooNew`].
pub fn check_version<M, R: StdError + Send + Sync + 'static>(
    steps: &[M],
    found: Option<i64>,
    target: &str,
    table: &str,
    fix: &'static str,
    package: &'static str,
) -> Result<(), SchemaError<R>> {
    let (target, table) = (target.to_owned(), table.to_owned());
    match is_current(steps, found) {
        Ok(true) => Ok(()),
        Ok(false) => Err(SchemaError::Behind {
            target,
            table,
            found,
            needed: i64::try_from(steps.len()).unwrap_or(i64::MAX),
            fix,
        }),
        Err(newer) => Err(SchemaError::TooNew { target, table, newer, package }),
    }
}

impl<R: StdError + Send + Sync + 'static> SchemaError<R> {
    /// A row of `table` in `target` is no association, because of `source`.
    pub fn bad_row(target: &str, table: &str, source: R) -> Self {
        Self::BadRow { target: target.to_owned(), table: table.to_owned(), source }
    }
}

impl<R: StdError + Send + Sync + 'static> From<SchemaError<R>> for StoreError {
    fn from(error: SchemaError<R>) -> Self {
        let context = error.to_string();
        match error {
            SchemaError::BadRow { source, .. } => StoreError::corrupt(context, Some(source.into())),
            SchemaError::TooNew { .. } | SchemaError::Behind { .. } => {
                StoreError::config(context, None)
            }
        }
    }
}

/// An association row whose values no association can have.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BadRow {
    /// The type column names no association type.
    #[error("the assoc_type column holds no association type")]
    Type(#[source] UnknownTypeError),
    /// The handle or lifetime is not valid.
    #[error("the row is not a valid association")]
    Association(#[source] AssociationError),
}

/// The association a row holds, strictly: the type must be known and the handle and
/// lifetime valid (a store that guessed would sign with a wrong key).
///
/// # Errors
/// [`BadRow`] saying which value is wrong.
pub fn association_from_row(
    handle: String,
    secret: Vec<u8>,
    issued: i64,
    lifetime: i64,
    assoc_type: &str,
) -> Result<Association, BadRow> {
    let kind: AssociationType = assoc_type.parse().map_err(BadRow::Type)?;
    Association::new(handle, secret, issued, lifetime, kind).map_err(BadRow::Association)
}

/// A driver's count of affected rows as a `usize` (saturating on 32-bit targets).
pub fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// Writes the table-name setters of a SQL store's builder into its `impl` block, each
/// setting a field of type [`TableNames`]: the same names in every SQL store.
///
/// ```
/// use openid_store_kit::sql::TableNames;
///
/// #[derive(Debug, Default)]
/// struct MyStoreBuilder {
///     tables: TableNames,
/// }
///
/// impl MyStoreBuilder {
///     openid_store_kit::builder_tables!(tables);
/// }
///
/// let builder = MyStoreBuilder::default().table_prefix("site_").nonces_table("used");
/// assert_eq!(builder.tables.associations(), "site_associations");
/// assert_eq!(builder.tables.nonces(), "used");
/// ```
#[macro_export]
macro_rules! builder_tables {
    ($field:ident) => {
        /// Names the tables `<prefix>associations`, `<prefix>nonces` and
        /// `<prefix>associations_schema_version` (default prefix `openid_`), so that
        /// several stores can share one database. A table named with its own setter keeps
        /// that name, whether it was named before or after.
        #[must_use]
        pub fn table_prefix(mut self, prefix: &str) -> Self {
            self.$field.set_prefix(prefix);
            self
        }

        /// Names the associations table (default `openid_associations`), and the schema
        /// version table `<name>_schema_version` unless it is named.
        #[must_use]
        pub fn associations_table(mut self, name: &str) -> Self {
            self.$field.set_associations(name);
            self
        }

        /// Names the nonces table (default `openid_nonces`).
        #[must_use]
        pub fn nonces_table(mut self, name: &str) -> Self {
            self.$field.set_nonces(name);
            self
        }

        /// Names the schema version table (default: the associations table's name and
        /// `_schema_version`).
        #[must_use]
        pub fn schema_version_table(mut self, name: &str) -> Self {
            self.$field.set_schema_version(name);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_identifiers_of_bounded_length() {
        assert!(check_name("SQL", "openid_nonces_2", 63, None).is_ok());
        for bad in ["", "1abc", "a-b", "a b", "x\"y", "x`y", "é", &"a".repeat(64)] {
            let error = check_name("SQL", bad, 63, None).unwrap_err();
            assert!(StoreError::from(error).is_config(), "{bad:?}");
        }
        let error = check_name("SQLite", "SQLITE_x", 63, Some("sqlite_")).unwrap_err();
        assert!(error.to_string().contains("nor with sqlite_"), "{error}");
    }

    #[test]
    fn tables_must_differ() {
        let mut tables = TableNames::with_prefix("p_");
        assert_eq!(tables.schema_version(), "p_associations_schema_version");
        tables.set_associations("mine");
        assert_eq!(tables.schema_version(), "mine_schema_version", "follows the associations");
        tables.set_schema_version("versions");
        tables.set_associations("p_associations");
        assert_eq!(tables.schema_version(), "versions", "unless named");
        assert!(tables.check("SQL", 63, None).is_ok());
        tables.set_nonces("p_associations");
        assert!(matches!(tables.check("SQL", 63, None), Err(NameError::Same { .. })));
    }

    /// `?nonces_table=used&table_prefix=site_` once dropped the named table: the order of
    /// the options decided which nonce table a process used.
    #[test]
    fn a_prefix_keeps_the_tables_named_before_or_after_it() {
        let mut before = TableNames::default();
        before.set_nonces("used");
        before.set_prefix("site_");
        let mut after = TableNames::default();
        after.set_prefix("site_");
        after.set_nonces("used");
        assert_eq!(before, after);
        assert_eq!(before.nonces(), "used");
        assert_eq!(before.associations(), "site_associations");
        assert_eq!(before.schema_version(), "site_associations_schema_version");
        let mut named = TableNames::default();
        named.set_associations("mine");
        named.set_prefix("site_");
        assert_eq!(
            (named.associations(), named.nonces(), named.schema_version()),
            ("mine", "site_nonces", "mine_schema_version")
        );
    }

    #[test]
    fn pending_migrations_start_after_the_current_version() {
        let steps = ["one", "two", "three"];
        assert_eq!(pending(&steps, 0).unwrap(), [(1, &"one"), (2, &"two"), (3, &"three")]);
        assert_eq!(pending(&steps, 2).unwrap(), [(3, &"three")]);
        assert!(pending(&steps, 3).unwrap().is_empty());
        assert_eq!(pending(&steps, 4).unwrap_err(), NewerSchema { found: 4, supported: 3 });
    }

    #[test]
    fn only_the_last_version_is_current() {
        let steps = ["one", "two"];
        assert!(!is_current(&steps, None).unwrap());
        assert!(!is_current(&steps, Some(1)).unwrap());
        assert!(is_current(&steps, Some(2)).unwrap());
        assert_eq!(
            is_current(&steps, Some(3)).unwrap_err(),
            NewerSchema { found: 3, supported: 2 }
        );
    }

    #[test]
    fn a_store_built_without_migrating_opens_the_current_version_only() {
        let steps = ["one", "two"];
        let check = |found| check_version::<_, BadRow>(&steps, found, "db", "v", "run it", "pkg");
        assert!(check(Some(2)).is_ok());
        for found in [None, Some(1)] {
            let error = check(found).unwrap_err();
            assert!(
                matches!(&error, SchemaError::Behind { needed: 2, fix: "run it", .. }),
                "{error}"
            );
        }
        let newer = check(Some(3)).unwrap_err();
        assert_eq!(
            newer.to_string(),
            "db, tables v: schema version 3 is newer than this library's 2; upgrade pkg"
        );
    }

    #[test]
    fn a_schema_behind_says_what_it_found_and_what_to_run() {
        let behind = |found| SchemaError::<BadRow>::Behind {
            target: "db".into(),
            table: "v".into(),
            found,
            needed: 2,
            fix: "run migrate",
        };
        let shown = behind(Some(1)).to_string();
        assert_eq!(
            shown,
            "db, tables v: schema version 1, but this library needs version 2: run migrate"
        );
        assert!(behind(None).to_string().contains("no schema yet"));
        assert!(StoreError::from(behind(None)).is_config());
    }

    #[test]
    fn rows_are_read_strictly() {
        let good = association_from_row("h".into(), vec![1; 20], 5, 10, "HMAC-SHA1").unwrap();
        assert_eq!(good.expires_at(), 15);
        assert!(matches!(
            association_from_row("h".into(), vec![], 5, 10, "HMAC-MD5"),
            Err(BadRow::Type(_))
        ));
        assert!(matches!(
            association_from_row("with space".into(), vec![], 5, 10, "HMAC-SHA1"),
            Err(BadRow::Association(_))
        ));
        assert_eq!(count(3), 3);
    }
}
