//! How the store connects: `tokio-postgres` clients, each on a runtime of its own with its
//! prepared statements, for the kit's [`Pool`](openid_store_kit::pool::Pool); every wait on
//! the server bounded by the store's time limit.
//!
//! `r2d2_postgres` is not used: it checks every connection out with a query, which halves
//! the throughput of one-statement operations, and it cannot keep prepared statements
//! with the connection.
//!
//! Why not the `postgres` crate's blocking client: it waits for an answer without bound.
//! `statement_timeout` is enforced by the server, and TCP keepalives and
//! `tcp_user_timeout` by the peer's kernel: a server process that is frozen (SIGSTOP, a
//! hung disk, a VM paused) has its kernel acknowledge every byte, so neither ever fires
//! and a call blocked for as long as the freeze. Here each operation runs under
//! `tokio::time::timeout` on the connection's own single-threaded runtime (what the
//! `postgres` crate does inside, plus the deadline), and a connection whose operation ran
//! out of time is dropped: it may still receive the late answer.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use openid_store_kit::pool::{Failure, Verdict};
use postgres::types::ToSql;
use postgres::{Row, Statement};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, Config, NoTls};

/// A connection, its runtime and the statements prepared on it.
pub(crate) struct Connection {
    runtime: OwnRuntime,
    client: Client,
    statements: HashMap<String, Statement>,
    deadline: Duration,
}

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    /// The driver's error: the server's answer, or the connection's failure.
    #[error(transparent)]
    Driver(#[from] postgres::Error),
    /// No answer within the time limit (a frozen server or network): the connection is
    /// dropped.
    #[error("no answer within {0:?} (a frozen server or network?)")]
    Deadline(Duration),
    /// The connection's runtime could not be made (out of threads or file descriptors).
    #[error("cannot start the connection's runtime")]
    Runtime(#[source] std::io::Error),
}

impl Connection {
    /// The statement for `sql`, prepared on first use on this connection.
    pub(crate) fn statement(&mut self, sql: &str) -> Result<Statement, PgError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = wait(&self.runtime, self.deadline, self.client.prepare(sql))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql` (prepared once) and returns how many rows it changed.
    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, PgError> {
        let statement = self.statement(sql)?;
        wait(&self.runtime, self.deadline, self.client.execute(&statement, params))
    }

    /// Runs `sql` (prepared once) and returns its one row, if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, PgError> {
        let statement = self.statement(sql)?;
        wait(&self.runtime, self.deadline, self.client.query_opt(&statement, params))
    }

    /// Runs `sql` (prepared once) and returns its one row.
    pub(crate) fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, PgError> {
        let statement = self.statement(sql)?;
        wait(&self.runtime, self.deadline, self.client.query_one(&statement, params))
    }

    /// Runs the future `work` makes from the client, under the time limit: for the
    /// statements that are no single query (a transaction).
    pub(crate) fn run<'a, T, F>(
        &'a mut self,
        work: impl FnOnce(&'a mut Client) -> F,
    ) -> Result<T, PgError>
    where
        F: Future<Output = Result<T, postgres::Error>> + 'a,
    {
        let future = work(&mut self.client);
        wait(&self.runtime, self.deadline, future)
    }
}

/// A connection's runtime, shut down without waiting when the connection is dropped.
///
/// A plain [`Runtime`] waits for its blocking pool when dropped, and panics when that
/// happens inside an async context ("Cannot drop a runtime in a context where blocking is
/// not allowed"): an application that keeps the store in the state of its async web
/// framework drops it there at shutdown. [`Runtime::shutdown_background`] is documented
/// for exactly that; the connection's task ends with the runtime either way.
struct OwnRuntime(Option<Runtime>);

impl OwnRuntime {
    fn block_on<F: Future>(&self, future: F) -> Option<F::Output> {
        self.0.as_ref().map(|runtime| runtime.block_on(future))
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Drives `future` on `runtime` until it ends or `deadline` passes.
fn wait<T>(
    runtime: &OwnRuntime,
    deadline: Duration,
    future: impl Future<Output = Result<T, postgres::Error>>,
) -> Result<T, PgError> {
    // The timer is made inside the runtime: it needs the runtime's clock.
    // `None` only while the connection is being dropped, when nothing runs on it.
    match runtime.block_on(async { tokio::time::timeout(deadline, future).await }) {
        Some(Ok(result)) => Ok(result?),
        Some(Err(_)) | None => Err(PgError::Deadline(deadline)),
    }
}

/// Connects with the store's configuration (timeouts included).
pub(crate) struct Connector {
    pub(crate) config: Config,
    /// How long one operation (or connecting) may wait for the server.
    pub(crate) deadline: Duration,
    /// `postgres://user@host:port/dbname`, never the password.
    pub(crate) target: String,
}

impl openid_store_kit::pool::Connector for Connector {
    type Connection = Connection;
    type Error = PgError;

    fn connect(&self) -> Result<Connection, PgError> {
        let runtime = OwnRuntime(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(PgError::Runtime)?,
        ));
        let (client, connection) = wait(&runtime, self.deadline, self.config.connect(NoTls))?;
        // On a current-thread runtime the connection's task makes progress only while an
        // operation blocks on it, as in the `postgres` crate; it ends with the runtime.
        if let Some(inner) = &runtime.0 {
            inner.spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "PostgreSQL connection ended");
                }
            });
        }
        Ok(Connection { runtime, client, statements: HashMap::new(), deadline: self.deadline })
    }

    fn is_open(&self, connection: &mut Connection) -> bool {
        !connection.client.is_closed()
    }

    fn classify(&self, error: &PgError) -> Failure {
        match error {
            PgError::Driver(error) if is_gone(error) => Failure::Gone,
            PgError::Driver(error) if error.as_db_error().is_some() => Failure::Answered,
            PgError::Driver(_) | PgError::Deadline(_) | PgError::Runtime(_) => Failure::Broken,
        }
    }

    fn verdict(&self, error: &PgError) -> Verdict {
        let PgError::Driver(error) = error else { return Verdict::Unavailable };
        match error.as_db_error().map(|db| db.code().code()) {
            // 42P01 undefined_table, 3F000 invalid_schema_name, 42703 undefined_column.
            Some("42P01" | "3F000" | "42703") => Verdict::Misconfigured(
                "schema not migrated (run PostgresStore::migrate, or connect with ?migrate=true)",
            ),
            // Class 28: invalid authorization.
            Some(code) if code.starts_with("28") => Verdict::Misconfigured(
                "the server refused the credentials: check the URL's user and password",
            ),
            _ => Verdict::Unavailable,
        }
    }

    fn target(&self) -> &str {
        &self.target
    }
}

/// Whether the connection is gone and nothing ran on it: closed, or terminated by a
/// server shutdown (SQLSTATE class 57P: the server says so on the next use of the
/// connection).
fn is_gone(error: &postgres::Error) -> bool {
    error.is_closed() || error.as_db_error().is_some_and(|db| db.code().code().starts_with("57P"))
}

/// The `tokio-postgres` configuration of the `postgres` crate's: the store's builder takes
/// the latter (the type its users have), which does not hand out the one inside.
pub(crate) fn to_async(config: &postgres::Config) -> Config {
    use postgres::config::Host;
    let mut out = Config::new();
    if let Some(user) = config.get_user() {
        out.user(user);
    }
    if let Some(password) = config.get_password() {
        out.password(password);
    }
    if let Some(dbname) = config.get_dbname() {
        out.dbname(dbname);
    }
    if let Some(options) = config.get_options() {
        out.options(options);
    }
    if let Some(name) = config.get_application_name() {
        out.application_name(name);
    }
    out.ssl_mode(config.get_ssl_mode());
    out.ssl_negotiation(config.get_ssl_negotiation());
    for host in config.get_hosts() {
        match host {
            Host::Tcp(name) => out.host(name),
            Host::Unix(path) => out.host_path(path),
        };
    }
    for address in config.get_hostaddrs() {
        out.hostaddr(*address);
    }
    for port in config.get_ports() {
        out.port(*port);
    }
    if let Some(timeout) = config.get_connect_timeout() {
        out.connect_timeout(*timeout);
    }
    if let Some(timeout) = config.get_tcp_user_timeout() {
        out.tcp_user_timeout(*timeout);
    }
    out.keepalives(config.get_keepalives());
    out.keepalives_idle(config.get_keepalives_idle());
    if let Some(interval) = config.get_keepalives_interval() {
        out.keepalives_interval(interval);
    }
    if let Some(retries) = config.get_keepalives_retries() {
        out.keepalives_retries(retries);
    }
    out.target_session_attrs(config.get_target_session_attrs());
    out.channel_binding(config.get_channel_binding());
    out.load_balance_hosts(config.get_load_balance_hosts());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_async_configuration_carries_every_setting() {
        let mut config: postgres::Config =
            "postgres://app:hunter2@db1.example:5433,db2.example/site\
            ?options=-c%20x%3Dy&application_name=rp&sslmode=disable&connect_timeout=3\
            &tcp_user_timeout=4&keepalives=1&keepalives_idle=5&keepalives_interval=6\
            &keepalives_retries=7&target_session_attrs=read-write&channel_binding=disable\
            &load_balance_hosts=random"
                .parse()
                .unwrap();
        config.hostaddr("127.0.0.1".parse().unwrap()).hostaddr("127.0.0.2".parse().unwrap());
        let converted = to_async(&config);
        // The `postgres` crate's Debug shows the configuration inside it.
        let inner = format!("{config:?}");
        assert!(inner.contains(&format!("{converted:?}")), "{inner}\n{converted:?}");
        assert_eq!(converted.get_password(), Some(&b"hunter2"[..]));
    }
}
