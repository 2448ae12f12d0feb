//! The demo site end to end: its `demo` binary and its pages, driven over HTTP like a
//! browser (cookies kept by hand), against the test provider on 127.0.0.1.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use openid_consumer::NetworkPolicy;
use openid_consumer::store::MemoryStore;
use openid_examples::demo::{DemoConfig, app, serve};
use openid_examples::{builtin_policy, socket_of};
use openid_testkit::browser::Method;
use openid_testkit::{Answer, Provider, Tamper, browser};

/// A browser without redirects or a cookie store: the test carries the cookie itself.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// The demo site in this process, in front of `provider`; its base URL.
fn site(provider: &Provider) -> String {
    let policy = builtin_policy(NetworkPolicy::default(), socket_of(&provider.base_url()).unwrap());
    let (ready, address) = std::sync::mpsc::channel();
    let example_identity = Some(provider.identity_url("alice"));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let config = DemoConfig {
                store: Arc::new(MemoryStore::new()),
                public_url: url.clone(),
                policy,
                example_identity,
            };
            ready.send(url).unwrap();
            serve(app(config).unwrap(), listener).await.unwrap();
        });
    });
    address.recv_timeout(Duration::from_secs(30)).unwrap()
}

/// The page a login with `identifier` ends on, and where the provider sent the browser.
fn login(site: &str, identifier: &str) -> String {
    let agent = agent();
    let mut started =
        agent.post(&format!("{site}/login")).send_form([("identifier", identifier)]).unwrap();
    assert_eq!(started.status(), 303, "{}", started.body_mut().read_to_string().unwrap());
    let cookie = started.headers().get("set-cookie").unwrap().to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let to_provider = started.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let callback = browser::follow(&to_provider).unwrap();
    assert!(callback.url.starts_with(&format!("{site}/return")), "{}", callback.url);
    // With the profile the answer is long: the provider may post it back as a form.
    let mut result = match callback.method {
        Method::Get => agent.get(&callback.url).header("cookie", &cookie).call().unwrap(),
        Method::Post => agent
            .post(&callback.url)
            .header("cookie", &cookie)
            .send_form(callback.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap(),
    };
    result.body_mut().read_to_string().unwrap()
}

#[test]
fn a_login_with_the_built_in_provider_shows_the_verified_identity() {
    let provider = Provider::start().unwrap();
    let site = site(&provider);
    let home = agent().get(&site).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(home.contains(&provider.identity_url("alice")), "the form suggests an identity");
    let page = login(&site, &provider.identity_url("bob"));
    assert!(
        page.contains(&format!(
            "<strong id=\"claimed-id\">{}</strong>",
            provider.identity_url("bob")
        )),
        "{page}"
    );
    assert!(page.contains(&provider.endpoint_url()), "the endpoint is shown");
    assert!(page.contains("openid.response_nonce"), "the signed fields are listed");
    // The profile, asked through SReg and AX, with where each value came from.
    assert!(page.contains("bob@example.com"), "{page}");
    assert!(page.contains("<code>openid.sreg.email</code>"), "{page}");
}

#[test]
fn cancel_and_failures_get_their_own_pages() {
    let provider = Provider::start().unwrap();
    let site = site(&provider);
    provider.configure(|b| b.answer = Answer::Cancel);
    assert!(login(&site, &provider.identity_url("alice")).contains("Login cancelled"));
    provider.configure(|b| {
        b.answer = Answer::Assert;
        b.tampering = vec![Tamper::BadSignature];
    });
    let page = login(&site, &provider.identity_url("alice"));
    assert!(page.contains("<code id=\"code\">bad_signature</code>"), "{page}");
    assert!(page.contains("signature could not be verified"), "{page}");
}

#[test]
fn a_callback_without_the_login_cookie_is_refused() {
    let provider = Provider::start().unwrap();
    let site = site(&provider);
    let agent = agent();
    let started = agent
        .post(&format!("{site}/login"))
        .send_form([("identifier", provider.identity_url("alice").as_str())])
        .unwrap();
    let to_provider = started.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let callback = browser::follow(&to_provider).unwrap();
    let mut page = match callback.method {
        Method::Get => agent.get(&callback.url).call().unwrap(),
        Method::Post => agent
            .post(&callback.url)
            .send_form(callback.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap(),
    };
    let page = page.body_mut().read_to_string().unwrap();
    assert!(page.contains("<code id=\"code\">unsolicited</code>"), "{page}");
}

#[test]
fn other_local_services_are_not_reachable_through_the_login_form() {
    let provider = Provider::start().unwrap();
    let other = Provider::start().unwrap();
    let site = site(&provider);
    let mut response = agent()
        .post(&format!("{site}/login"))
        .send_form([("identifier", other.identity_url("alice").as_str())])
        .unwrap();
    assert_eq!(response.status(), 502);
    let page = response.body_mut().read_to_string().unwrap();
    assert!(page.contains("No OpenID provider could be found"), "{page}");
    // The page does not tell what the host resolved to (the log does).
    assert!(!page.contains("network policy") && !page.contains("loopback"), "{page}");
    assert!(other.requests().is_empty());
}

// See: review of issue 12. Another site's page that posts its own identifier here would
// sign the visitor in as the attacker (login CSRF).
#[test]
fn a_login_started_from_another_site_is_refused() {
    let provider = Provider::start().unwrap();
    let site = site(&provider);
    for path in ["/login", "/login/steam"] {
        let response = agent()
            .post(&format!("{site}{path}"))
            .header("Sec-Fetch-Site", "cross-site")
            .send_form([("identifier", provider.identity_url("alice").as_str())])
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    assert!(provider.requests().is_empty());
    let response = agent()
        .post(&format!("{site}/login"))
        .header("Sec-Fetch-Site", "same-origin")
        .send_form([("identifier", provider.identity_url("alice").as_str())])
        .unwrap();
    assert_eq!(response.status(), 303);
}

#[test]
fn the_steam_button_sends_the_browser_to_steam_for_it_to_choose_the_account() {
    let provider = Provider::start().unwrap();
    let site = site(&provider);
    let response = agent().post(&format!("{site}/login/steam")).send_empty().unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers().get("location").unwrap().to_str().unwrap();
    assert!(location.starts_with("https://steamcommunity.com/openid/login?"), "{location}");
    assert!(location.contains("identifier_select"), "{location}");
    assert!(!location.contains("assoc_handle"), "Steam logins are stateless: {location}");
}

/// The `demo` binary, with its built-in provider, both on free ports.
struct Demo {
    child: Child,
    site: String,
    provider: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn demo_binary() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("demo.sqlite").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--listen", "127.0.0.1:0", "--provider-listen", "127.0.0.1:0", "--store", &store])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Killed on drop from here on, also when the wait below fails.
    let mut demo = Demo { child, site: String::new(), provider: String::new(), _dir: dir };
    // Read on a thread: a demo that hangs before printing fails the test in 60 s.
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    while demo.site.is_empty() {
        let line = lines.recv_timeout(Duration::from_secs(60)).expect("the demo printed its URLs");
        if let Some(rest) = line.strip_prefix("built-in provider: identities ") {
            rest.trim_end_matches("/id/NAME").clone_into(&mut demo.provider);
        } else if let Some(rest) = line.strip_prefix("demo site: open ") {
            rest.trim_end_matches('/').clone_into(&mut demo.site);
        }
    }
    demo
}

#[test]
fn the_demo_binary_serves_a_login_with_nothing_to_configure() {
    let demo = demo_binary();
    let page = login(&demo.site, &format!("{}/id/carol", demo.provider));
    assert!(page.contains(&format!("{}/id/carol</strong>", demo.provider)), "{page}");
}

#[test]
fn the_demo_binary_explains_a_bad_store_url_in_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--store", "nosuch://x", "--no-builtin-provider", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("demo: cannot open the store \"nosuch://x\""), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
