//! A running (or external) server, and stopping and restarting it.

use std::path::PathBuf;
use std::process::Child;
use std::sync::{Mutex, PoisonError};

use crate::backend::{Backend, Variant};
use crate::error::ServerError;
use crate::process::Spec;
use crate::start::{self, Launched, Probe};

/// A throwaway server this process started, or an external one from the environment.
#[derive(Debug)]
pub struct Server {
    backend: Backend,
    url: String,
    tls_ca_file: Option<PathBuf>,
    managed: Option<Managed>,
}

#[derive(Debug)]
struct Managed {
    dir: PathBuf,
    probe: Probe,
    specs: Vec<Spec>,
    children: Mutex<Vec<Child>>,
}

impl Server {
    pub(crate) fn launch(
        backend: Backend,
        variant: Variant,
        shared: bool,
    ) -> Result<Self, ServerError> {
        if let Some(url) = backend.external_url() {
            return Ok(Self { backend, url, tls_ca_file: None, managed: None });
        }
        if shared {
            // A child of a test process that started this backend uses its parent's server,
            // so both race on the same data.
            let parent = start::shared_dir(backend, variant, std::os::unix::process::parent_id());
            if let Ok(url) = std::fs::read_to_string(parent.join("url")) {
                let tls_ca_file = Some(start::tls_ca_file(&parent)).filter(|ca| ca.is_file());
                return Ok(Self { backend, url, tls_ca_file, managed: None });
            }
        }
        let Launched { url, dir, nodes, probe, tls_ca_file } =
            start::launch(backend, variant, shared)?;
        if shared {
            std::fs::write(dir.join("url"), &url).map_err(|e| ServerError::Failed {
                backend: backend.name(),
                step: "recording the shared server's URL".into(),
                detail: e.to_string(),
            })?;
        }
        let (specs, children) = nodes.into_iter().unzip();
        tracing::info!(%backend, %url, dir = %dir.display(), "started throwaway server");
        Ok(Self {
            backend,
            url,
            tls_ca_file,
            managed: Some(Managed { dir, probe, specs, children: Mutex::new(children) }),
        })
    }

    /// The URL to connect with (`postgres://`, `mysql://`, `redis://`,
    /// `redis+cluster://host:port,...`, `memcache://`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate (PEM) that issued the server's certificate, for
    /// [`Variant::Tls`](crate::Variant::Tls); `None` for a server without TLS.
    pub fn tls_ca_file(&self) -> Option<&std::path::Path> {
        self.tls_ca_file.as_deref()
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether it came from `OPENID_TEST_<BACKEND>_URL`.
    pub fn is_external(&self) -> bool {
        self.managed.is_none()
    }

    /// The data directory (removed when the test process ends).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.managed.as_ref().map(|m| m.dir.as_path())
    }

    /// Stops every process of the server and waits until they have exited. The data
    /// directory is kept, so [`Server::start`] brings back the same data on the same port.
    ///
    /// # Errors
    /// [`ServerError::External`] for an external server; [`ServerError::Failed`].
    pub fn stop(&self) -> Result<(), ServerError> {
        let managed = self.managed()?;
        let mut children = managed.children.lock().unwrap_or_else(PoisonError::into_inner);
        for (spec, child) in managed.specs.iter().zip(children.iter_mut()) {
            crate::process::stop(child, spec.stop_signal).map_err(|e| ServerError::Failed {
                backend: self.backend.name(),
                step: "stopping".into(),
                detail: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Starts a stopped server again and waits until it is ready.
    ///
    /// # Errors
    /// [`ServerError::External`] for an external server; [`ServerError::Failed`].
    pub fn start(&self) -> Result<(), ServerError> {
        let managed = self.managed()?;
        let mut children = managed.children.lock().unwrap_or_else(PoisonError::into_inner);
        let nodes = start::start_nodes(self.backend, managed.specs.clone(), &managed.probe)?;
        *children = nodes.into_iter().map(|(_, child)| child).collect();
        Ok(())
    }

    /// Freezes every process of the server (`SIGSTOP`, children included): connections
    /// stay open and the kernel still acknowledges what clients send, but nothing
    /// answers, as with a hung disk or a paused machine. [`Server::thaw`] resumes it.
    ///
    /// # Errors
    /// [`ServerError::External`] for an external server; [`ServerError::Failed`].
    pub fn freeze(&self) -> Result<(), ServerError> {
        self.signal_all("STOP", "freezing")
    }

    /// Resumes a server [`Server::freeze`] froze (`SIGCONT`).
    ///
    /// # Errors
    /// [`ServerError::External`] for an external server; [`ServerError::Failed`].
    pub fn thaw(&self) -> Result<(), ServerError> {
        self.signal_all("CONT", "thawing")
    }

    /// Freezes one process of the server (`SIGSTOP`): node `index` in start order (for
    /// [`Variant::Replicated`], 1 is the replica).
    ///
    /// # Errors
    /// As [`Server::freeze`], and [`ServerError::Failed`] for no such node.
    pub fn freeze_node(&self, index: usize) -> Result<(), ServerError> {
        self.signal_nodes("STOP", "freezing a node", Some(index))
    }

    /// Resumes a node [`Server::freeze_node`] froze (`SIGCONT`).
    ///
    /// # Errors
    /// As [`Server::freeze_node`].
    pub fn thaw_node(&self, index: usize) -> Result<(), ServerError> {
        self.signal_nodes("CONT", "thawing a node", Some(index))
    }

    fn signal_all(&self, signal: &str, step: &str) -> Result<(), ServerError> {
        self.signal_nodes(signal, step, None)
    }

    fn signal_nodes(
        &self,
        signal: &str,
        step: &str,
        only: Option<usize>,
    ) -> Result<(), ServerError> {
        let managed = self.managed()?;
        let children = managed.children.lock().unwrap_or_else(PoisonError::into_inner);
        if only.is_some_and(|index| index >= children.len()) {
            return Err(ServerError::Failed {
                backend: self.backend.name(),
                step: step.into(),
                detail: format!("no node {only:?}: the server has {}", children.len()),
            });
        }
        let chosen = children.iter().enumerate().filter(|(i, _)| only.is_none_or(|o| o == *i));
        for (_, child) in chosen {
            crate::process::signal_tree(child.id(), signal).map_err(|e| ServerError::Failed {
                backend: self.backend.name(),
                step: step.into(),
                detail: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Whether the server answers its readiness probe now.
    pub fn is_ready(&self) -> bool {
        self.managed.as_ref().is_none_or(|m| m.probe.is_ready())
    }

    fn managed(&self) -> Result<&Managed, ServerError> {
        self.managed.as_ref().ok_or(ServerError::External {
            backend: self.backend.name(),
            variable: self.backend.url_variable(),
        })
    }
}
