//! Why a throwaway server could not be provided.

/// Why a throwaway server could not be started, stopped or reached.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A binary the backend needs is not installed.
    #[error(
        "{backend}: `{binary}` not found; install it with `apt-get install -y {package}` \
         (scripts/test.sh does this when run as root), point {variable} at an existing \
         server, or set OPENID_TEST_SKIP={backend} to skip these tests"
    )]
    MissingBinary {
        /// Backend name.
        backend: &'static str,
        /// The missing program.
        binary: &'static str,
        /// Debian package providing it.
        package: &'static str,
        /// The `OPENID_TEST_*_URL` variable.
        variable: &'static str,
    },
    /// A set-up command or the server failed.
    #[error("{backend}: {step} failed: {detail}")]
    Failed {
        /// Backend name.
        backend: &'static str,
        /// What was being done.
        step: String,
        /// What happened, with the end of the server's log where there is one.
        detail: String,
    },
    /// The operation needs a server this process started.
    #[error("{backend}: cannot stop or start a server given by {variable}")]
    External {
        /// Backend name.
        backend: &'static str,
        /// The variable that named it.
        variable: &'static str,
    },
}
