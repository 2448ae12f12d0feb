//! `rediss://` against a throwaway Redis server that speaks only TLS, with a certificate
//! for 127.0.0.1 from a CA made when it starts (`Variant::Tls` of `openid-test-servers`):
//! the conformance suite over TLS, and what a client that is set up wrong is told.

mod common;

use std::time::{Duration, Instant};

use openid_consumer::store::{OpenIdStore, StoreError};
use openid_store_conformance::store_conformance_tests;
use openid_store_conformance::{Capabilities, Fixture, Stoppable, StoreFactory};
use openid_store_redis::RedisStore;
use openid_test_servers::{
    Backend, Server, ServerError, Variant, dedicated_variant, shared_variant,
};

/// Stores on the shared TLS server; the fault cases get a TLS server of their own.
struct OnTlsServer;

impl StoreFactory for OnTlsServer {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        let server = tls_server().map_err(unusable)?.ok_or_else(skipped)?;
        Ok(Box::new(common::open(server.url(), fixture)?))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().self_expiring()
    }

    fn skip_reason(&self) -> Option<String> {
        Backend::Redis.skip_reason().or_else(|| {
            Backend::Redis
                .external_url()
                .map(|_| "OPENID_TEST_REDIS_URL names a server without this TLS set-up".into())
        })
    }

    fn open_stoppable(&self, fixture: &Fixture) -> Option<Result<Stoppable, StoreError>> {
        let server = match dedicated_variant(Backend::Redis, Variant::Tls) {
            Ok(server) => server?,
            Err(error) => return Some(Err(unusable(error))),
        };
        Some(common::open(server.url(), fixture).map(|store| Stoppable::new(store, server)))
    }
}

store_conformance_tests!(OnTlsServer);

fn tls_server() -> Result<Option<std::sync::Arc<Server>>, ServerError> {
    shared_variant(Backend::Redis, Variant::Tls)
}

fn unusable(error: ServerError) -> StoreError {
    StoreError::config("no TLS test server", Some(Box::new(error)))
}

fn skipped() -> StoreError {
    StoreError::config("the TLS test server is skipped in this run", None)
}

/// The server's URL without its query (`tls_ca_file`): the address alone.
fn address(server: &Server) -> &str {
    server.url().split('?').next().unwrap_or_default()
}

/// The full message of an error and its sources.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text = format!("{text}: {next}");
        source = next.source();
    }
    text
}

#[test]
fn a_store_that_does_not_trust_the_ca_fails_at_build_and_says_to_set_tls_ca_file() {
    let Some(server) = tls_server().unwrap() else { return };
    // The public roots only: the test CA is not among them.
    let url = format!("{}?timeout_ms=2000", address(&server));
    let error = RedisStore::from_url(&url).unwrap_err();
    let message = chain(&error);
    assert!(error.is_config(), "{message}");
    assert!(message.contains("certificate was not trusted"), "{message}");
    assert!(message.contains("tls_ca_file="), "{message}");
}

#[test]
fn with_tls_ca_file_the_store_trusts_the_ca_and_works() {
    let Some(server) = tls_server().unwrap() else { return };
    let ca = server.tls_ca_file().unwrap();
    let url = format!("{}?prefix=tls_ca_file_test:", address(&server));
    let store = RedisStore::builder(
        openid_store_redis::redis::IntoConnectionInfo::into_connection_info(address(&server))
            .unwrap(),
    )
    .tls_ca_file(ca)
    .prefix("tls_builder_test:")
    .build()
    .unwrap();
    let now = store.timing().now();
    assert!(store.use_nonce("https://op.example/", now, "builder").unwrap());
    assert!(!store.use_nonce("https://op.example/", now, "builder").unwrap());
    let from_url = RedisStore::from_url(&format!("{url}&tls_ca_file={}", ca.display())).unwrap();
    assert!(format!("{from_url:?}").contains("rediss://127.0.0.1:"), "{from_url:?}");
}

#[test]
fn a_plain_url_to_the_tls_port_fails_within_the_timeout() {
    let Some(server) = tls_server().unwrap() else { return };
    let timeout = Duration::from_secs(1);
    let url = address(&server).replacen("rediss://", "redis://", 1);
    let started = Instant::now();
    let error = RedisStore::from_url(&format!("{url}?timeout_ms=1000")).unwrap_err();
    let elapsed = started.elapsed();
    let message = chain(&error);
    assert!(elapsed < 3 * timeout + Duration::from_secs(1), "{elapsed:?}: {message}");
    assert!(message.contains("use rediss:// instead"), "the error suggests TLS: {message}");
}

#[test]
fn rediss_to_a_server_without_tls_fails_and_says_so() {
    let Some(plain) = openid_test_servers::shared(Backend::Redis).unwrap() else { return };
    let url = plain.url().replacen("redis://", "rediss://", 1);
    let started = Instant::now();
    let error = RedisStore::from_url(&format!("{url}?timeout_ms=1000")).unwrap_err();
    let message = chain(&error);
    assert!(started.elapsed() < Duration::from_secs(4), "{message}");
    assert!(error.is_unavailable(), "{message}");
    assert!(message.contains("does not use TLS on this port"), "{message}");
}

#[test]
fn an_unreadable_or_invalid_ca_file_is_a_configuration_error_naming_the_option_and_path() {
    let dir = std::env::temp_dir().join(format!("openid-redis-tls-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.pem");
    let invalid = dir.join("invalid.pem");
    std::fs::write(&invalid, "not a certificate\n").unwrap();
    let broken = dir.join("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n")
        .unwrap();
    for path in [&missing, &invalid, &broken] {
        // Port 1: the file is read before anything connects.
        let url = format!("rediss://127.0.0.1:1/?tls_ca_file={}", path.display());
        let error = RedisStore::from_url(&url).unwrap_err();
        let message = chain(&error);
        assert!(error.is_config(), "{message}");
        assert!(message.contains(&format!("tls_ca_file={}", path.display())), "{message}");
    }
    let plain = format!("redis://127.0.0.1:1/?tls_ca_file={}", invalid.display());
    let error = RedisStore::from_url(&plain).unwrap_err();
    assert!(error.is_config() && error.to_string().contains("rediss://"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn certificate_checks_cannot_be_turned_off_and_tls_clusters_are_refused_clearly() {
    for url in ["rediss://127.0.0.1:1/#insecure", "rediss+cluster://127.0.0.1:1,127.0.0.1:2"] {
        let error = RedisStore::from_url(url).unwrap_err();
        assert!(error.is_config(), "{url}: {error}");
    }
    let error = RedisStore::from_url("rediss://127.0.0.1:1/#insecure").unwrap_err();
    assert!(chain(&error).contains("tls_ca_file"), "{error}");
}

/// A `ConnectionInfo` for the server at `host` (its port), trusting the server's CA through
/// the driver's own TLS parameters, as an application may hand one to the builder.
fn trusting_info(
    server: &Server,
    host: &str,
) -> Result<redis::ConnectionInfo, Box<dyn std::error::Error>> {
    let port = address(server).trim_end_matches('/').rsplit(':').next().unwrap_or_default();
    let pem = std::fs::read(server.tls_ca_file().ok_or("no CA file")?)?;
    let certificates = redis::TlsCertificates { client_tls: None, root_cert: Some(pem) };
    let client = redis::Client::build_with_tls(format!("rediss://{host}:{port}/"), certificates)?;
    Ok(client.get_connection_info().clone())
}

#[test]
fn the_host_name_is_checked_against_the_certificate() {
    let Some(server) = tls_server().unwrap() else { return };
    // The certificate names IP address 127.0.0.1 only; `localhost` reaches the same server.
    let trusted =
        RedisStore::builder(trusting_info(&server, "127.0.0.1").unwrap()).prefix("tls_name:");
    trusted.build().unwrap();
    let error = RedisStore::builder(trusting_info(&server, "localhost").unwrap())
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_err();
    let message = chain(&error);
    assert!(error.is_config(), "{message}");
    assert!(message.contains("does not name the host"), "{message}");
}

#[test]
fn a_connection_that_skips_the_host_name_check_is_refused() {
    let Some(server) = tls_server().unwrap() else { return };
    // The driver (its `tls-rustls-insecure` feature on, as another crate may turn it on)
    // would connect to `localhost` with the certificate of 127.0.0.1.
    let mut info = trusting_info(&server, "localhost").unwrap();
    let mut addr = info.addr().clone();
    addr.set_danger_accept_invalid_hostnames(true);
    info = info.set_addr(addr);
    let result = RedisStore::builder(info).timeout(Duration::from_secs(2)).build();
    let error = result.map(|_| ()).unwrap_err();
    let message = chain(&error);
    assert!(error.is_config(), "{message}");
    assert!(message.contains("cannot be turned off"), "{message}");
}

#[test]
fn insecure_urls_are_refused_even_where_the_driver_supports_them() {
    let Some(server) = tls_server().unwrap() else { return };
    // The driver, its insecure mode compiled in, would accept the untrusted certificate.
    let url = format!("{}#insecure", address(&server));
    let result = RedisStore::from_url(&format!("{url}?timeout_ms=2000"));
    let error = result.map(|_| ()).unwrap_err();
    let message = chain(&error);
    assert!(error.is_config(), "{message}");
    assert!(message.contains("cannot be turned off"), "{message}");
}

#[test]
fn a_ca_file_that_is_not_a_regular_file_or_too_large_is_refused_at_once() {
    let dir = std::env::temp_dir().join(format!("openid-redis-tls-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("ca.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let large = dir.join("large.pem");
    std::fs::write(&large, vec![b'\n'; 5 * 1024 * 1024]).unwrap();
    // (Not /dev/zero, which a reader without a bound would read until memory ran out.)
    for (path, reason) in [(&fifo, "not a regular file"), (&large, "larger than")] {
        let url = format!("rediss://127.0.0.1:1/?tls_ca_file={}", path.display());
        let (sender, receiver) = std::sync::mpsc::channel();
        // Without the check, opening the FIFO waits for a writer.
        std::thread::spawn(move || {
            let _ = sender.send(RedisStore::from_url(&url).map(|_| ()));
        });
        let result = receiver.recv_timeout(Duration::from_secs(10));
        let error = result.unwrap_or_else(|_| panic!("{}: still reading", path.display()));
        let error = error.unwrap_err();
        let message = chain(&error);
        assert!(error.is_config(), "{message}");
        assert!(message.contains(&format!("tls_ca_file={}", path.display())), "{message}");
        assert!(message.contains(reason), "{message}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
