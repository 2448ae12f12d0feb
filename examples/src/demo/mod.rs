//! The demo site: a relying party on axum with a login form, the result of each login, and
//! a "Sign in through Steam" button.
//!
//! The library is synchronous (discovery, associations and `check_authentication` block on
//! the network), so every call into it runs on tokio's blocking pool
//! (`spawn_blocking`). A login's [`PendingAuth`](openid_consumer::PendingAuth) travels in an
//! encrypted, signed cookie (axum-extra's `PrivateCookieJar`) between the redirect to the
//! provider and the browser's return, so the site keeps no session store.

mod handlers;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum_extra::extract::cookie::Key;
use openid_consumer::store::OpenIdStore;
use openid_consumer::{Consumer, NetworkPolicy, ProviderPin};

/// Everything the site needs to run, given by the `demo` binary's arguments or a test.
#[derive(Clone)]
pub struct DemoConfig {
    /// The store of associations and nonces.
    pub store: Arc<dyn OpenIdStore>,
    /// The site's public base URL, such as `http://127.0.0.1:8000`: the realm and where
    /// providers send browsers back.
    pub public_url: String,
    /// The network policy of every login (the default plus, when the built-in provider
    /// runs, its address and port).
    pub policy: NetworkPolicy,
    /// The identity URL to suggest on the form (the built-in provider's), if any.
    pub example_identity: Option<String>,
}

/// The state every handler gets.
#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    consumer: Consumer,
    steam: Consumer,
    public_url: String,
    example_identity: Option<String>,
    key: Key,
    /// Whether browsers keep a `Secure` cookie from this site (https, or loopback).
    secure_cookies: bool,
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Self {
        state.inner.key.clone()
    }
}

/// The site's routes.
///
/// # Errors
/// [`openid_consumer::ConfigError`] when the consumer cannot be built (a bad public URL).
pub fn app(config: DemoConfig) -> Result<Router, openid_consumer::ConfigError> {
    let public_url = config.public_url.trim_end_matches('/').to_owned();
    let consumer = Consumer::builder()
        .store(config.store)
        .policy(config.policy.clone())
        .public_base_url(&public_url)
        .build()?;
    // Steam: its endpoint and 17-digit identifiers only, no delegation, and stateless
    // (Steam does not associate). Stateless means this site records no nonces: a replayed
    // answer is refused only because Steam's check_authentication answers each nonce once.
    let steam = Consumer::builder()
        .stateless()
        .policy(config.policy)
        .pin(ProviderPin::steam())
        .public_base_url(&public_url)
        .build()?;
    let secure_cookies = secure_context(&public_url);
    let state = AppState {
        inner: Arc::new(Shared {
            consumer,
            steam,
            public_url,
            example_identity: config.example_identity,
            // One key per start: fine for a demo. A real site persists the key and shares
            // it with every process, or a login started on one cannot finish on another.
            key: Key::generate(),
            secure_cookies,
        }),
    };
    Ok(Router::new()
        .route("/", get(handlers::home))
        .route("/login", post(handlers::login))
        .route("/login/steam", post(handlers::login_steam))
        .route("/return", get(handlers::return_get).post(handlers::return_post))
        .route("/return/steam", get(handlers::return_steam_get).post(handlers::return_steam_post))
        .with_state(state))
}

/// Whether browsers treat the site at `public_url` as a secure context, where they keep
/// `Secure` cookies: https, or plain http on localhost or a loopback address.
fn secure_context(public_url: &str) -> bool {
    let Ok(url) = url::Url::parse(public_url) else { return false };
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(url::Host::Domain(host))) => {
            host == "localhost" || host.ends_with(".localhost")
        }
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

/// Serves `app` on `listener` until the process is stopped.
///
/// # Errors
/// When the server fails.
pub async fn serve(app: Router, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::secure_context;

    #[test]
    fn browsers_keep_secure_cookies_on_https_and_loopback_only() {
        for secure in [
            "https://example.com",
            "http://localhost:8000",
            "http://127.0.0.1:8000",
            "http://[::1]:80",
        ] {
            assert!(secure_context(secure), "{secure}");
        }
        for plain in ["http://example.com", "http://192.168.1.2:8000", "not a url"] {
            assert!(!secure_context(plain), "{plain}");
        }
    }
}
