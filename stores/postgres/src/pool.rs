//! Connections: an r2d2 pool of `postgres` clients, each with its prepared statements.
//!
//! `r2d2_postgres` is not used because it checks every connection out with a round trip
//! (`is_valid` runs a query), which halves the throughput of one-statement operations,
//! and it cannot keep prepared statements with the connection. Here a connection is
//! checked out without a round trip; a connection error marks every pooled connection
//! stale (a generation counter), so after a server restart the pool reconnects instead of
//! failing once per stale connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, Config, NoTls, Statement};

/// A pooled connection and the statements prepared on it.
pub(crate) struct Connection {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
    generation: u64,
}

impl Connection {
    /// The statement for `sql`, prepared on first use on this connection.
    pub(crate) fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// Creates and checks connections for r2d2.
#[derive(Debug)]
pub(crate) struct Manager {
    config: Config,
    generation: Arc<AtomicU64>,
}

impl Manager {
    pub(crate) fn new(config: Config, generation: Arc<AtomicU64>) -> Self {
        Self { config, generation }
    }
}

/// Why the pool could not provide a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// Connecting failed.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
    /// The connection predates a connection failure and is replaced.
    #[error("stale connection replaced")]
    Stale,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = ConnectError;

    fn connect(&self) -> Result<Connection, ConnectError> {
        let client = self.config.connect(NoTls)?;
        Ok(Connection {
            client,
            statements: HashMap::new(),
            generation: self.generation.load(Ordering::Acquire),
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), ConnectError> {
        if connection.generation == self.generation.load(Ordering::Acquire)
            && !connection.client.is_closed()
        {
            Ok(())
        } else {
            Err(ConnectError::Stale)
        }
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.client.is_closed()
    }
}
