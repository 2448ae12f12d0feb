//! The bare PostgreSQL insert the store is measured against, by the servers bench and by
//! `examples/pool_gap.rs`: the store's nonce table (schema version 1 of
//! `stores/postgres/src/schema.rs`, BRIN index included) as `<schema>.bare_nonces`, and the
//! store's insert into it.

/// SQL that (re)creates `<schema>.bare_nonces`, empty; the schema must exist (the store's
/// migration makes it).
pub fn create_table(schema: &str) -> String {
    format!(
        "DROP TABLE IF EXISTS {schema}.bare_nonces;
         CREATE TABLE {schema}.bare_nonces (
             nonce_key bytea PRIMARY KEY,
             server_url text NOT NULL,
             timestamp bigint NOT NULL,
             salt text NOT NULL
         );
         CREATE INDEX ON {schema}.bare_nonces USING brin (timestamp);"
    )
}

/// The store's insert of a nonce into `<schema>.bare_nonces`: `$1` its digest
/// (`openid_store_kit::keys::nonce_digest`), `$2` the server URL, `$3` the timestamp,
/// `$4` the salt.
pub fn insert(schema: &str) -> String {
    format!(
        "INSERT INTO {schema}.bare_nonces (nonce_key, server_url, timestamp, salt) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
    )
}
