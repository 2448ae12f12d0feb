//! The callback listener of `openid login`: a web server on 127.0.0.1 that waits for the
//! browser to come back to `return_to`, checks the login with what it brought (a GET
//! query or a POST form), and shows the browser the outcome.
//!
//! axum rather than a hand-written reader: browsers open speculative connections that
//! send nothing and ask for `/favicon.ico`, and a one-request reader would wait on the
//! wrong one. Every other path gets a 404; the first request to `return_to` ends the wait.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::Html;
use axum::routing::get;
use openid_consumer::{Consumer, PendingAuth, Response};
use tokio::sync::oneshot;

use crate::error::CliError;
use crate::login::describe;

/// The path of `return_to`.
pub(crate) const RETURN_PATH: &str = "/return";

/// How the wait for the browser ended.
#[derive(Debug)]
pub(crate) enum Waited {
    /// The browser came back and the login was checked.
    Checked(Box<Response>),
    /// `wait` passed first.
    TimedOut,
    /// The browser came back but the check did not finish (it panicked).
    Unchecked,
}

/// Serves on `listener` until the browser comes back to [`RETURN_PATH`] or `wait` passes.
pub(crate) fn wait(
    listener: TcpListener,
    consumer: Consumer,
    pending: PendingAuth,
    base: String,
    wait: Duration,
) -> Result<Waited, CliError> {
    let io = |doing| move |source| CliError::Io { doing, source };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io("start the callback listener"))?;
    runtime.block_on(async move {
        listener.set_nonblocking(true).map_err(io("set up the callback listener"))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(io("set up the callback listener"))?;
        let (outcome, answered) = oneshot::channel();
        let waiter =
            Arc::new(Waiter { consumer, pending, base, outcome: Mutex::new(Some(outcome)) });
        let app = Router::new()
            .route(RETURN_PATH, get(callback).post(callback))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(waiter);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        let answer = tokio::time::timeout(wait, answered).await;
        let _ = stop.send(());
        // Let the page reach the browser, but do not wait on a connection it keeps open.
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, server).await;
        Ok(match answer {
            Ok(Ok(response)) => Waited::Checked(Box::new(response)),
            // The handler dropped the sender without an outcome.
            Ok(Err(_)) => Waited::Unchecked,
            Err(_) => Waited::TimedOut,
        })
    })
}

/// What the handler needs: the login, and where its outcome goes (taken by the first
/// callback).
struct Waiter {
    consumer: Consumer,
    pending: PendingAuth,
    /// `http://127.0.0.1:PORT`: the URL the browser came to is this and the request's path.
    base: String,
    outcome: Mutex<Option<oneshot::Sender<Response>>>,
}

async fn callback(
    State(waiter): State<Arc<Waiter>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> (StatusCode, Html<String>) {
    let path = uri.path_and_query().map_or(RETURN_PATH, |path| path.as_str());
    let current_url = format!("{}{path}", waiter.base);
    // The provider sends the browser to the return_to it was given, which holds this
    // login's random token; any other request (another local program, a web page making
    // the browser request this port) must not end the wait.
    if waiter.pending.return_to().is_some_and(|sent| !current_url.starts_with(sent)) {
        return (StatusCode::NOT_FOUND, page("Not the answer to the login in progress."));
    }
    let Some(outcome) = waiter.outcome.lock().unwrap_or_else(PoisonError::into_inner).take() else {
        return (StatusCode::CONFLICT, page("This login is already finished."));
    };
    // A POST callback carries the answer in its form; the query then holds return_to's
    // own arguments, which `complete` reads from the URL.
    let args = if method == Method::POST {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        uri.query().unwrap_or_default().to_owned()
    };
    let checking = Arc::clone(&waiter);
    // `complete` may make a request to the provider (check_authentication): blocking.
    let checked = tokio::task::spawn_blocking(move || {
        checking.consumer.complete(Some(&checking.pending), args.as_str(), &current_url)
    })
    .await;
    let Ok(response) = checked else {
        return (StatusCode::INTERNAL_SERVER_ERROR, page("The login could not be checked."));
    };
    let (status, text) = match describe(&response) {
        ("success", text) => (StatusCode::OK, format!("Login {text}. You can close this tab.")),
        (code, text) => (StatusCode::FORBIDDEN, format!("Login not verified ({code}): {text}.")),
    };
    // The terminal gets the outcome; the receiver is gone only after the wait timed out.
    let _ = outcome.send(response);
    (status, page(&text))
}

async fn not_found() -> (StatusCode, Html<String>) {
    (StatusCode::NOT_FOUND, page("Not found: this listener waits for an OpenID callback only."))
}

/// A page with one paragraph of `text`, escaped.
fn page(text: &str) -> Html<String> {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>openid login</title><p>{escaped}</p>\n"
    ))
}

/// The largest callback body read (a form-posted assertion is a few kilobytes).
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long the page may take to reach the browser after the outcome is known.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
