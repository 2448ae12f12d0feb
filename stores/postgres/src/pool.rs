//! How the store connects: `postgres` clients, each with its prepared statements, for the
//! kit's [`Pool`](openid_store_kit::pool::Pool).
//!
//! `r2d2_postgres` is not used: it checks every connection out with a query, which halves
//! the throughput of one-statement operations, and it cannot keep prepared statements
//! with the connection.

use std::collections::HashMap;

use openid_store_kit::pool::{Failure, Verdict};
use postgres::{Client, Config, NoTls, Statement};

/// A connection and the statements prepared on it.
pub(crate) struct Connection {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
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

/// Connects with the store's configuration (timeouts included).
pub(crate) struct Connector {
    pub(crate) config: Config,
    /// `postgres://user@host:port/dbname`, never the password.
    pub(crate) target: String,
}

impl openid_store_kit::pool::Connector for Connector {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection { client: self.config.connect(NoTls)?, statements: HashMap::new() })
    }

    fn is_open(&self, connection: &mut Connection) -> bool {
        !connection.client.is_closed()
    }

    fn classify(&self, error: &postgres::Error) -> Failure {
        if is_gone(error) {
            Failure::Gone
        } else if error.as_db_error().is_some() {
            Failure::Answered
        } else {
            Failure::Broken
        }
    }

    fn verdict(&self, error: &postgres::Error) -> Verdict {
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
