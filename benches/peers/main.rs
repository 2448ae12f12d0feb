//! `openid-peers`: our side of the side-by-side comparison with python3-openid that
//! `scripts/bench-peers.sh` runs. `benches/peers/reference.py` is the other side and
//! `benches/peers/driver.py` alternates the two, round by round.
//!
//! ```text
//! openid-peers documents DIR                         # writes the generated documents
//! openid-peers postgres                              # starts a server, prints its URL
//! openid-peers mysql                                 # the same for MariaDB
//! openid-peers serve SCRATCH PROVIDER DOCUMENTS      # reads `<operation> <seconds>` lines
//! ```
//!
//! `postgres` starts a throwaway PostgreSQL server on 127.0.0.1 (`openid-test-servers`, or
//! the one `OPENID_TEST_POSTGRES_URL` names), prints its URL and keeps it until its standard
//! input closes; `mysql` does the same with MariaDB (`OPENID_TEST_MYSQL_URL`). `serve` reads
//! those URLs for the `postgres` and `mysql` stores from the environment, `PEERS_POSTGRES_URL`
//! and `PEERS_MYSQL_URL` (unset or empty: no such store), not from its arguments, which any
//! user on the machine can read.
//!
//! `serve` answers each `<operation> <seconds>` line with `<calls> <seconds>`: the calls made
//! in one round and the time they took, at least the seconds asked for. The first round of an
//! operation sets it up (stores opened, provider associated) outside the timed part; later
//! rounds go on with the same state. Inputs (nonce salts, associations with distinct handles,
//! signed assertions) are made in batches of 2,000 outside the timed part, which times chunks
//! of 100 calls. The operations, the same in `reference.py`:
//!
//! - `use_nonce:STORE`, `store_get:STORE` (store an association under a new handle, then get
//!   it by handle), where STORE is `memory`, `file` (fsync, the default), `file_nosync`
//!   (`FileStoreBuilder::sync(false)`), `sqlite` (WAL, `synchronous=FULL`, the default) or
//!   `postgres` (`PostgresStore::from_url` on `PEERS_POSTGRES_URL`) or `mysql`
//!   (`MysqlStore::from_url` on `PEERS_MYSQL_URL`), both with `migrate=true` and tables of
//!   this process's own (`table_prefix=peers_<tag>_<pid>_`), as the reference's;
//! - `complete`: `Consumer::complete` on a valid signed assertion, memory store, no network;
//! - `login`: a whole login against the test provider at PROVIDER on loopback;
//! - `html:DOC` (links into endpoints), `meta:DOC` (the Yadis `X-XRDS-Location` meta),
//!   `xrds:DOC` (XRDS into endpoints), DOC a file in DOCUMENTS.

use std::collections::HashMap;
use std::error::Error;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openid_benches::documents;
use openid_consumer::crypto::{AssociationType, sign_message};
use openid_consumer::discovery::endpoint::{self, TYPE_SIGNON_2_0};
use openid_consumer::discovery::{html, xrds};
use openid_consumer::fetch::NetworkPolicy;
use openid_consumer::message::{Message, OpenIdVersion};
use openid_consumer::store::{Association, Clock, MemoryStore, OpenIdStore, SystemClock};
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint};
use openid_store_file::FileStore;
use openid_store_mysql::MysqlStore;
use openid_store_postgres::PostgresStore;
use openid_store_sqlite::SqliteStore;
use openid_test_servers::Backend;
use openid_testkit::browser;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// One round of an operation: at least the given time of calls; the calls made and the
/// time they took.
type Round = Box<dyn FnMut(Duration) -> Result<(u64, Duration)>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("openid-peers: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, dir] if command == "documents" => write_documents(Path::new(dir)),
        [command] if command == "postgres" => server(Backend::Postgres),
        [command] if command == "mysql" => server(Backend::Mysql),
        [command, scratch, provider, documents] if command == "serve" => serve(&Peer {
            scratch: scratch.into(),
            provider: provider.clone(),
            documents: documents.into(),
            postgres: std::env::var("PEERS_POSTGRES_URL").unwrap_or_default(),
            mysql: std::env::var("PEERS_MYSQL_URL").unwrap_or_default(),
        }),
        _ => Err("usage: openid-peers documents DIR | postgres | mysql \
                  | serve SCRATCH PROVIDER DOCUMENTS (database URLs in PEERS_POSTGRES_URL, \
                  PEERS_MYSQL_URL)"
            .into()),
    }
}

/// Writes the project's generated discovery documents (`benches/src/documents.rs`) into
/// `dir`, for the Python side to read the same bytes.
fn write_documents(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(XRDS_2K), documents::xrds_2k())?;
    std::fs::write(dir.join(HTML_100K), documents::html_100k())?;
    Ok(())
}

/// Starts a server of `backend`, prints its URL and keeps it until standard input closes.
fn server(backend: Backend) -> Result<()> {
    let server = openid_test_servers::shared(backend)?
        .ok_or_else(|| format!("OPENID_TEST_SKIP names {}", backend.name()))?;
    println!("{}", server.url());
    io::stdout().flush()?;
    io::copy(&mut io::stdin().lock(), &mut io::sink())?;
    Ok(())
}

/// Where the operations find their directory, provider, documents and database servers.
struct Peer {
    scratch: PathBuf,
    provider: String,
    documents: PathBuf,
    postgres: String,
    mysql: String,
}

/// Answers `<operation> <seconds>` lines until `quit` or the end of the input.
fn serve(peer: &Peer) -> Result<()> {
    let mut rounds: HashMap<String, Round> = HashMap::new();
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let (Some(operation), Some(seconds)) = (words.next(), words.next()) else {
            if line.trim() == "quit" || line.trim().is_empty() {
                break;
            }
            return Err(format!("not `<operation> <seconds>`: {line:?}").into());
        };
        let target = Duration::from_secs_f64(seconds.parse()?);
        let round = match rounds.entry(operation.to_owned()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => entry.insert(
                peer.setup(operation)
                    .map_err(|error| format!("setting up {operation}: {error}"))?,
            ),
        };
        let (calls, took) = round(target).map_err(|error| format!("{operation}: {error}"))?;
        writeln!(out, "{calls} {:.9}", took.as_secs_f64())?;
        out.flush()?;
    }
    Ok(())
}

impl Peer {
    /// Sets up `operation` (untimed) and returns its rounds.
    fn setup(&self, operation: &str) -> Result<Round> {
        let (kind, argument) = operation.split_once(':').unwrap_or((operation, ""));
        match kind {
            "use_nonce" => Ok(use_nonce(self.store(argument, "nonces")?)),
            "store_get" => Ok(store_get(self.store(argument, "associations")?)),
            "complete" => complete(),
            "login" => login(&self.provider),
            "html" => html_endpoints(&std::fs::read_to_string(self.documents.join(argument))?),
            "meta" => yadis_meta(&std::fs::read_to_string(self.documents.join(argument))?),
            "xrds" => xrds_endpoints(std::fs::read(self.documents.join(argument))?),
            _ => Err(format!("no operation {operation:?}").into()),
        }
    }

    /// A new store of the kind `name`, in the scratch directory under `tag`.
    fn store(&self, name: &str, tag: &str) -> Result<Box<dyn OpenIdStore>> {
        let path = self.scratch.join(format!("ours-{tag}-{name}"));
        Ok(match name {
            "memory" => Box::new(MemoryStore::new()),
            "file" => Box::new(FileStore::open(path)?),
            "file_nosync" => Box::new(FileStore::builder(path).sync(false).build()?),
            "sqlite" => Box::new(SqliteStore::open(path.with_extension("sqlite"))?),
            "postgres" if !self.postgres.is_empty() => {
                Box::new(PostgresStore::from_url(&own_tables(&self.postgres, tag))?)
            }
            "mysql" if !self.mysql.is_empty() => {
                Box::new(MysqlStore::from_url(&own_tables(&self.mysql, tag))?)
            }
            _ => return Err(format!("no store {name:?}").into()),
        })
    }
}

/// `url` with tables of this process's own, `table_prefix=peers_<tag>_<pid>_` (the
/// reference side's are `oid_*_<tag>_<pid>`), and `migrate=true`: this run creates them, as
/// the reference side's `createTables()`. An option the URL already has is kept as it is
/// (the stores refuse an option given twice).
fn own_tables(url: &str, tag: &str) -> String {
    let prefix = format!("peers_{tag}_{}_", std::process::id());
    with_options(url, &[("table_prefix", &prefix), ("migrate", "true")])
}

/// `url` with each `(name, value)` option it does not have yet added to its query.
fn with_options(url: &str, options: &[(&str, &str)]) -> String {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let has = |name: &str| {
        query.split('&').any(|item| item.split_once('=').map_or(item, |(key, _)| key) == name)
    };
    let mut out = url.to_owned();
    for (name, value) in options.iter().filter(|(name, _)| !has(name)) {
        if !out.contains('?') {
            out.push('?');
        } else if !out.ends_with(['?', '&']) {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// `use_nonce` with a fresh salt each call.
fn use_nonce(store: Box<dyn OpenIdStore>) -> Round {
    let mut n = 0u64;
    Box::new(move |target| {
        let batch = || {
            let now = SystemClock.now();
            Ok((0..BATCH)
                .map(|_| {
                    n += 1;
                    (now, format!("salt{n}"))
                })
                .collect())
        };
        timed(target, batch, |(now, salt): (i64, String)| {
            if store.use_nonce(OP, now, &salt)? {
                Ok(())
            } else {
                Err("a fresh nonce was refused".into())
            }
        })
    })
}

/// `store_association` of an association with a new handle, then `get_association` of it.
fn store_get(store: Box<dyn OpenIdStore>) -> Round {
    let mut n = 0u64;
    Box::new(move |target| {
        let batch = || {
            let now = SystemClock.now();
            (0..BATCH)
                .map(|_| {
                    n += 1;
                    let handle = format!("handle{n}");
                    Association::new(handle, vec![7; 32], now, 3_600, AssociationType::HmacSha256)
                        .map_err(Into::into)
                })
                .collect()
        };
        timed(target, batch, |association: Association| {
            store.store_association(OP, &association)?;
            match store.get_association(OP, Some(association.handle()))? {
                Some(_) => Ok(()),
                None => Err("a stored association was not found".into()),
            }
        })
    })
}

/// `Consumer::complete` on a fresh valid assertion each call (the work of the
/// `complete/memory` bench in `benches/benches/login.rs`).
fn complete() -> Result<Round> {
    let store = Arc::new(MemoryStore::new());
    let now = SystemClock.now();
    let association =
        Association::new("bench-handle", vec![1u8; 32], now, 3_600, AssociationType::HmacSha256)?;
    store.store_association(OP, &association)?;
    let consumer = Consumer::builder().store(store).build()?;
    let endpoint =
        ServiceEndpoint::for_claimed_id(CLAIMED_ID, OP, None, vec![TYPE_SIGNON_2_0.to_owned()]);
    let mut request = consumer.begin_with_endpoint(endpoint)?;
    let message = request.message(REALM, RETURN_TO, false)?;
    let return_to =
        message.get_openid("return_to").ok_or("the request has no return_to")?.to_owned();
    let pending: PendingAuth = request.pending();
    Ok(Box::new(move |target| {
        let batch = || {
            (0..BATCH)
                .map(|_| {
                    let query = assertion(&association, &return_to)?;
                    let url = format!("{RETURN_TO}?{query}");
                    Ok((query, url))
                })
                .collect()
        };
        timed(target, batch, |(query, url): (String, String)| {
            match consumer.complete(Some(&pending), &query, &url) {
                Response::Success(_) => Ok(()),
                other => Err(format!("not a success: {other:?}").into()),
            }
        })
    }))
}

/// A fresh signed assertion, as the query string of the callback.
fn assertion(association: &Association, return_to: &str) -> Result<String> {
    let mut message = Message::new(OpenIdVersion::V2_0);
    message.set_openid("mode", "id_res");
    message.set_openid("op_endpoint", OP);
    message.set_openid("claimed_id", CLAIMED_ID);
    message.set_openid("identity", CLAIMED_ID);
    message.set_openid("return_to", return_to);
    let nonce = openid_benches::nonces::unique(SystemClock.now())?;
    message.set_openid("response_nonce", nonce.as_str());
    sign_message(&mut message, association)?;
    let url = message.to_url(return_to);
    Ok(url.split_once('?').ok_or("the assertion URL has no query")?.1.to_owned())
}

/// A whole login against the provider at `base`: `begin` (discovery; the association is
/// reused after the first login, made here outside the timed part), the browser's trip to
/// the provider, and `complete` (the work of the `login/testkit` bench).
fn login(base: &str) -> Result<Round> {
    let identity = format!("{base}/id/alice");
    let consumer = Consumer::builder()
        .store(Arc::new(MemoryStore::new()))
        .policy(NetworkPolicy::default().allow_loopback())
        .build()?;
    let once = move || -> Result<()> {
        let mut request = consumer.begin(&identity)?;
        let redirect = request.redirect_url(REALM, RETURN_TO, false)?;
        let callback = browser::follow(&redirect)?;
        match consumer.complete(Some(&request.pending()), &callback.query, &callback.url) {
            Response::Success(_) => Ok(()),
            other => Err(format!("not a success: {other:?}").into()),
        }
    };
    once()?;
    Ok(Box::new(move |target| timed(target, || Ok(vec![(); BATCH]), |()| once())))
}

/// HTML discovery: the page's `<link>`s, then the endpoints they declare.
fn html_endpoints(page: &str) -> Result<Round> {
    let page = page.to_owned();
    let parse = move || endpoint::from_html(CLAIMED_ID, &html::parse_links(&page)).0;
    if parse().is_empty() {
        return Err("the page declares no endpoint".into());
    }
    Ok(Box::new(move |target| {
        timed(
            target,
            || Ok(vec![(); BATCH]),
            |()| {
                std::hint::black_box(parse());
                Ok(())
            },
        )
    }))
}

/// Yadis discovery on an HTML page: its `X-XRDS-Location` meta.
fn yadis_meta(page: &str) -> Result<Round> {
    let page = page.to_owned();
    if html::find_xrds_location(&page).is_none() {
        return Err("the page has no X-XRDS-Location meta".into());
    }
    Ok(Box::new(move |target| {
        timed(
            target,
            || Ok(vec![(); BATCH]),
            |()| {
                std::hint::black_box(html::find_xrds_location(&page));
                Ok(())
            },
        )
    }))
}

/// XRDS discovery: the document parsed, then the OpenID endpoints of its services.
fn xrds_endpoints(document: Vec<u8>) -> Result<Round> {
    let parse = move || -> Result<Vec<ServiceEndpoint>> {
        Ok(endpoint::from_xrds(CLAIMED_ID, &xrds::parse(&document)?).0)
    };
    if parse()?.is_empty() {
        return Err("the document declares no endpoint".into());
    }
    Ok(Box::new(move |target| {
        timed(
            target,
            || Ok(vec![(); BATCH]),
            |()| {
                std::hint::black_box(parse()?);
                Ok(())
            },
        )
    }))
}

/// Calls `call` on the inputs `batch` makes (untimed) until the timed chunks add up to
/// `target`; the calls made and their time. Chunks shrink when they are slow (as in
/// `reference.py`).
fn timed<I>(
    target: Duration,
    mut batch: impl FnMut() -> Result<Vec<I>>,
    mut call: impl FnMut(I) -> Result<()>,
) -> Result<(u64, Duration)> {
    let (mut calls, mut took) = (0u64, Duration::ZERO);
    let mut size = CHUNK;
    while took < target {
        let mut inputs = batch()?.into_iter().peekable();
        while inputs.peek().is_some() && took < target {
            let chunk: Vec<I> = inputs.by_ref().take(size).collect();
            let count = chunk.len() as u64;
            let start = Instant::now();
            for input in chunk {
                call(input)?;
            }
            let elapsed = start.elapsed();
            took += elapsed;
            calls += count;
            // Slow calls (an fsync each) get smaller chunks, so a round ends near its target.
            if elapsed > target / 20 {
                size = (size / 2).max(1);
            }
        }
    }
    Ok((calls, took))
}

/// The server URL of every store operation and of the assertions, as in `reference.py`.
const OP: &str = "http://127.0.0.1:8901/op";
const CLAIMED_ID: &str = "http://127.0.0.1:8901/id/alice";
const REALM: &str = "http://127.0.0.1:8000/";
const RETURN_TO: &str = "http://127.0.0.1:8000/return";
/// Inputs made at a time, outside the timed part.
const BATCH: usize = 2_000;
/// Calls timed together (a clock read per 100 calls costs nothing measurable); halved while
/// a chunk takes more than a twentieth of the round.
const CHUNK: usize = 100;
/// The generated documents `documents` writes.
const XRDS_2K: &str = "xrds_2k.xml";
const HTML_100K: &str = "page_100k.html";

#[cfg(test)]
mod tests {
    use super::with_options;

    #[test]
    fn options_are_added_once_with_the_right_separator() {
        let options = [("table_prefix", "p_"), ("migrate", "true")];
        let cases = [
            ("mysql://u@h/db", "mysql://u@h/db?table_prefix=p_&migrate=true"),
            ("mysql://u@h/db?", "mysql://u@h/db?table_prefix=p_&migrate=true"),
            (
                "mysql://u@h/db?pool_size=2",
                "mysql://u@h/db?pool_size=2&table_prefix=p_&migrate=true",
            ),
            (
                "mysql://u@h/db?pool_size=2&",
                "mysql://u@h/db?pool_size=2&table_prefix=p_&migrate=true",
            ),
            ("mysql://u@h/db?migrate=true", "mysql://u@h/db?migrate=true&table_prefix=p_"),
            (
                "mysql://u@h/db?a=1&migrate=false",
                "mysql://u@h/db?a=1&migrate=false&table_prefix=p_",
            ),
            ("mysql://u@h/db?table_prefix=x_&migrate", "mysql://u@h/db?table_prefix=x_&migrate"),
            (
                "mysql://u@h/db?nomigrate=1",
                "mysql://u@h/db?nomigrate=1&table_prefix=p_&migrate=true",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_options(url, &options), expected, "{url}");
        }
    }
}
