//! Launching each backend: set-up commands, server processes, readiness.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::backend::{Backend, Variant};
use crate::error::ServerError;
use crate::ports;
use crate::probe::{self, wait_until};
use crate::process::{self, Spec};

/// How long a server may take to become ready (MariaDB's first start on a busy two-core
/// machine takes several seconds).
pub(crate) const READY_LIMIT: Duration = Duration::from_secs(90);

/// A started server: its processes and how to tell it is ready.
pub(crate) struct Launched {
    pub(crate) url: String,
    pub(crate) dir: PathBuf,
    pub(crate) nodes: Vec<(Spec, Child)>,
    pub(crate) probe: Probe,
    /// The CA of a TLS server's certificate.
    pub(crate) tls_ca_file: Option<PathBuf>,
}

/// How to tell a server is ready.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    Postgres {
        pg_isready: PathBuf,
        port: u16,
    },
    Mysql {
        port: u16,
    },
    Redis {
        port: u16,
    },
    /// A server that speaks only TLS: it accepts connections (a handshake needs a TLS
    /// client; the server listens once it is set up, certificates loaded).
    RedisTls {
        port: u16,
    },
    /// A master whose one replica is online.
    RedisReplicated {
        port: u16,
    },
    RedisCluster {
        ports: Vec<u16>,
    },
    Memcache {
        port: u16,
    },
}

impl Probe {
    pub(crate) fn is_ready(&self) -> bool {
        match self {
            Self::Postgres { pg_isready, port } => process::succeeds(
                pg_isready,
                &["-q".into(), "-h".into(), "127.0.0.1".into(), "-p".into(), port.to_string()],
            ),
            Self::Mysql { port } => probe::mysql_greeting(*port),
            Self::Redis { port } => probe::redis_ping(*port),
            Self::RedisTls { port } => probe::accepts(*port),
            Self::RedisReplicated { port } => probe::redis_replica_online(*port),
            Self::RedisCluster { ports } => ports.iter().all(|port| probe::redis_cluster_ok(*port)),
            Self::Memcache { port } => probe::memcached_version(*port),
        }
    }
}

pub(crate) fn launch(
    backend: Backend,
    variant: Variant,
    shared: bool,
) -> Result<Launched, ServerError> {
    let (evicting, replicated) = match (backend, variant) {
        (_, Variant::Standard) | (Backend::Redis, Variant::Tls) => (false, false),
        (Backend::Redis | Backend::Memcache, Variant::Evicting) => (true, false),
        (Backend::Redis, Variant::Replicated) => (false, true),
        (_, variant) => {
            return Err(ServerError::Failed {
                backend: backend.name(),
                step: "choosing the server's settings".into(),
                detail: format!("no {variant:?} variant of this backend"),
            });
        }
    };
    let dir = temp_dir(backend, variant, shared)
        .map_err(|e| failed(backend, "creating a data directory", e))?;
    let result = match backend {
        Backend::Postgres => postgres(&dir),
        Backend::Mysql => mysql(&dir),
        Backend::Redis if variant == Variant::Tls => redis_tls(&dir),
        Backend::Redis => redis(&dir, evicting, replicated),
        Backend::RedisCluster => redis_cluster(&dir),
        Backend::Memcache => memcached(&dir, evicting),
    };
    if result.is_err() {
        // Nothing was left running (every started child is stopped on the error path
        // below); the directory only holds logs and data of the failed attempt.
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn postgres(dir: &Path) -> Result<Launched, ServerError> {
    let backend = Backend::Postgres;
    let initdb = find_binary(backend, "initdb")?;
    let bin = initdb.parent().map(Path::to_path_buf).unwrap_or_default();
    let server = bin.join("postgres");
    let pg_isready = bin.join("pg_isready");
    let user = if is_root() {
        let user = system_user("postgres").ok_or_else(|| ServerError::Failed {
            backend: backend.name(),
            step: "finding the postgres system user".into(),
            detail: "running as root, PostgreSQL must run as user `postgres`, which does not exist"
                .into(),
        })?;
        for owned in [dir.to_path_buf(), process::tmp_dir(dir)] {
            std::os::unix::fs::chown(owned, Some(user.0), Some(user.1))
                .map_err(|e| failed(backend, "giving the data directory to postgres", e))?;
        }
        Some(user)
    } else {
        None
    };
    let data = dir.join("data");
    let args = strings(&["-D", &path(&data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]);
    let more = strings(&["--locale=C", "--no-sync", "-N"]);
    process::run(&initdb, &[args, more].concat(), user, dir).map_err(|detail| {
        ServerError::Failed { backend: backend.name(), step: "initdb".into(), detail }
    })?;
    let port = reserve_port(backend, dir)?;
    let spec = Spec {
        program: server,
        args: strings(&[
            "-D",
            &path(&data),
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-k",
            &path(dir),
            // A throwaway server: durability is not what these tests measure.
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]),
        user,
        log: dir.join("server.log"),
        stop_signal: "INT",
        dir: dir.to_path_buf(),
    };
    let probe = Probe::Postgres { pg_isready, port };
    let nodes = start_nodes(backend, vec![spec], &probe)?;
    Ok(Launched {
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: None,
    })
}

fn mysql(dir: &Path) -> Result<Launched, ServerError> {
    let backend = Backend::Mysql;
    let install = find_binary(backend, "mariadb-install-db")?;
    let server = find_binary(backend, "mariadbd")?;
    let client = find_binary(backend, "mariadb")?;
    let data = dir.join("data");
    let socket = dir.join("sock");
    let tmpdir = format!("--tmpdir={}", path(&process::tmp_dir(dir)));
    // The bootstrap server's own log: its errors, rather than the install tool's advice.
    let bootstrap_log = dir.join("bootstrap.log");
    let root_user = if is_root() { vec!["--user=root".to_owned()] } else { Vec::new() };
    let install_args = [
        strings(&["--no-defaults"]),
        root_user.clone(),
        strings(&[
            &format!("--datadir={}", path(&data)),
            &tmpdir,
            &format!("--log-error={}", path(&bootstrap_log)),
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]),
    ]
    .concat();
    process::run(&install, &install_args, None, dir).map_err(|detail| ServerError::Failed {
        backend: backend.name(),
        step: "mariadb-install-db".into(),
        detail: format!("{detail}\nthe bootstrap server's {}", process::log_tail(&bootstrap_log)),
    })?;
    let port = reserve_port(backend, dir)?;
    let spec = Spec {
        program: server,
        args: [
            strings(&["--no-defaults"]),
            root_user,
            strings(&[
                &format!("--datadir={}", path(&data)),
                &tmpdir,
                "--bind-address=127.0.0.1",
                &format!("--port={port}"),
                &format!("--socket={}", path(&socket)),
                &format!("--pid-file={}", path(&dir.join("mariadb.pid"))),
                "--skip-name-resolve",
                "--skip-log-bin",
                "--max-connections=300",
            ]),
        ]
        .concat(),
        user: None,
        log: dir.join("server.log"),
        stop_signal: "TERM",
        dir: dir.to_path_buf(),
    };
    let probe = Probe::Mysql { port };
    let mut nodes = start_nodes(backend, vec![spec], &probe)?;
    let sql = "CREATE DATABASE openid_test CHARACTER SET utf8mb4; \
               CREATE USER 'openid'@'%' IDENTIFIED BY 'openid-test'; \
               GRANT ALL PRIVILEGES ON *.* TO 'openid'@'%';";
    let client_args =
        strings(&["--no-defaults", &format!("--socket={}", path(&socket)), "-uroot", "-e", sql]);
    if let Err(detail) = process::run(&client, &client_args, None, dir) {
        stop_all(&mut nodes);
        return Err(ServerError::Failed {
            backend: backend.name(),
            step: "creating the test user".into(),
            detail: with_server_logs(detail, &nodes),
        });
    }
    Ok(Launched {
        url: format!("mysql://openid:openid-test@127.0.0.1:{port}/openid_test"),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: None,
    })
}

fn redis_spec(server: &Path, dir: &Path, port: u16, cluster: bool) -> Spec {
    let mut args = strings(&[
        "--bind",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--dir",
        &path(dir),
        "--save",
        "",
        "--appendonly",
        "no",
    ]);
    if cluster {
        args.extend(strings(&[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "2000",
        ]));
    }
    Spec {
        program: server.to_path_buf(),
        args,
        user: None,
        log: dir.join("server.log"),
        stop_signal: "TERM",
        dir: dir.to_path_buf(),
    }
}

fn redis(dir: &Path, evicting: bool, replicated: bool) -> Result<Launched, ServerError> {
    let backend = Backend::Redis;
    let server = find_binary(backend, "redis-server")?;
    let port = reserve_port(backend, dir)?;
    let mut spec = redis_spec(&server, dir, port, false);
    if evicting {
        spec.args.extend(strings(&["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]));
    }
    let mut specs = vec![spec];
    let probe = if replicated {
        let replica_dir = dir.join("replica");
        std::fs::create_dir(&replica_dir)
            .map_err(|e| failed(backend, "creating the replica's directory", e))?;
        let replica_port = reserve_port(backend, &replica_dir)?;
        let mut replica = redis_spec(&server, &replica_dir, replica_port, false);
        replica.args.extend(strings(&["--replicaof", "127.0.0.1", &port.to_string()]));
        // Only the master's watchdog removes the whole tree.
        replica.dir = dir.to_path_buf();
        specs.push(replica);
        Probe::RedisReplicated { port }
    } else {
        Probe::Redis { port }
    };
    let nodes = start_nodes(backend, specs, &probe)?;
    Ok(Launched {
        url: format!("redis://127.0.0.1:{port}/"),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: None,
    })
}

/// Where a TLS server's CA certificate is, in its instance directory `dir`.
pub(crate) fn tls_ca_file(dir: &Path) -> PathBuf {
    dir.join("tls").join("ca.pem")
}

/// A Redis server on a TLS port only, with a CA and a certificate for 127.0.0.1 made now.
fn redis_tls(dir: &Path) -> Result<Launched, ServerError> {
    let backend = Backend::Redis;
    let server = find_binary(backend, "redis-server")?;
    let tls = dir.join("tls");
    std::fs::create_dir(&tls).map_err(|e| failed(backend, "creating the TLS directory", e))?;
    make_certificates(backend, &tls)?;
    let port = reserve_port(backend, dir)?;
    let mut spec = redis_spec(&server, dir, 0, false);
    spec.args.extend(strings(&[
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        &path(&tls.join("server.pem")),
        "--tls-key-file",
        &path(&tls.join("server.key")),
        "--tls-ca-cert-file",
        &path(&tls_ca_file(dir)),
        "--tls-auth-clients",
        "no",
    ]));
    let probe = Probe::RedisTls { port };
    let nodes = start_nodes(backend, vec![spec], &probe)?;
    let ca = tls_ca_file(dir);
    Ok(Launched {
        url: format!("rediss://127.0.0.1:{port}/?tls_ca_file={}", path(&ca)),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: Some(ca),
    })
}

/// Makes, in `tls`, a CA (`ca.pem`, `ca.key`) and a server certificate for 127.0.0.1
/// that it signed (`server.pem`, `server.key`), with `openssl`: P-256 keys, valid for
/// two days.
fn make_certificates(backend: Backend, tls: &Path) -> Result<(), ServerError> {
    let openssl = find_openssl(backend)?;
    let file = |name: &str| path(&tls.join(name));
    let extensions = tls.join("server.ext");
    std::fs::write(
        &extensions,
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1\n",
    )
    .map_err(|e| failed(backend, "writing the certificate extensions", e))?;
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let steps: [Vec<String>; 3] = [
        [
            strings(&["req", "-x509"]),
            strings(&key),
            strings(&["-keyout", &file("ca.key"), "-out", &file("ca.pem"), "-days", "2"]),
            strings(&["-subj", "/CN=openid-rs throwaway test CA"]),
            strings(&["-addext", "basicConstraints=critical,CA:TRUE"]),
            strings(&["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        ]
        .concat(),
        [
            strings(&["req"]),
            strings(&key),
            strings(&["-keyout", &file("server.key"), "-out", &file("server.csr")]),
            strings(&["-subj", "/CN=127.0.0.1"]),
        ]
        .concat(),
        strings(&[
            "x509",
            "-req",
            "-in",
            &file("server.csr"),
            "-CA",
            &file("ca.pem"),
            "-CAkey",
            &file("ca.key"),
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            &path(&extensions),
            "-out",
            &file("server.pem"),
        ]),
    ];
    for args in steps {
        process::run(&openssl, &args, None, tls).map_err(|detail| ServerError::Failed {
            backend: backend.name(),
            step: "making the TLS certificates with openssl".into(),
            detail,
        })?;
    }
    Ok(())
}

/// `openssl`, on PATH or in /usr/bin.
fn find_openssl(backend: Backend) -> Result<PathBuf, ServerError> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.into_iter().map(|dir| dir.join("openssl")).find(|candidate| candidate.is_file()).ok_or(
        ServerError::MissingBinary {
            backend: backend.name(),
            binary: "openssl",
            package: "openssl",
            variable: backend.url_variable(),
        },
    )
}

fn redis_cluster(dir: &Path) -> Result<Launched, ServerError> {
    let backend = Backend::RedisCluster;
    let server = find_binary(backend, "redis-server")?;
    let cli = find_binary(backend, "redis-cli")?;
    let mut specs = Vec::new();
    let mut ports = Vec::new();
    for index in 0..3 {
        let node_dir = dir.join(format!("node{index}"));
        std::fs::create_dir(&node_dir)
            .map_err(|e| failed(backend, "creating node directories", e))?;
        // The cluster bus listens on port + 10000, which the reservation covers.
        let port = reserve_port(backend, &node_dir)?;
        ports.push(port);
        let mut spec = redis_spec(&server, &node_dir, port, true);
        // Only the first node's watchdog removes the whole tree.
        spec.dir = dir.to_path_buf();
        specs.push(spec);
    }
    let each_pings = Probe::RedisCluster { ports: Vec::new() };
    let mut nodes = start_nodes(backend, specs, &each_pings)?;
    let ping_all = || ports.iter().all(|port| probe::redis_ping(*port));
    if !wait_until(READY_LIMIT, ping_all) {
        let detail = with_server_logs("a node did not answer PING".into(), &nodes);
        stop_all(&mut nodes);
        return Err(ServerError::Failed {
            backend: backend.name(),
            step: "starting nodes".into(),
            detail,
        });
    }
    let mut create = strings(&["--cluster", "create"]);
    create.extend(ports.iter().map(|port| format!("127.0.0.1:{port}")));
    create.extend(strings(&["--cluster-replicas", "0", "--cluster-yes"]));
    if let Err(detail) = process::run(&cli, &create, None, dir) {
        let detail = with_server_logs(detail, &nodes);
        stop_all(&mut nodes);
        return Err(ServerError::Failed {
            backend: backend.name(),
            step: "redis-cli --cluster create".into(),
            detail,
        });
    }
    let probe = Probe::RedisCluster { ports: ports.clone() };
    if !wait_until(READY_LIMIT, || probe.is_ready()) {
        let detail = with_server_logs("cluster_state never became ok".into(), &nodes);
        stop_all(&mut nodes);
        return Err(ServerError::Failed {
            backend: backend.name(),
            step: "forming the cluster".into(),
            detail,
        });
    }
    let hosts: Vec<String> = ports.iter().map(|port| format!("127.0.0.1:{port}")).collect();
    Ok(Launched {
        url: format!("redis+cluster://{}", hosts.join(",")),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: None,
    })
}

fn memcached(dir: &Path, evicting: bool) -> Result<Launched, ServerError> {
    let backend = Backend::Memcache;
    let server = find_binary(backend, "memcached")?;
    let port = reserve_port(backend, dir)?;
    let mut args = if is_root() { strings(&["-u", "root"]) } else { Vec::new() };
    args.extend(strings(&["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0", "-c", "1024"]));
    if evicting {
        // memcached's default: evict the least recently used items when full.
        args.extend(strings(&["-m", "64"]));
    } else {
        // Room for the benches: nonces live for the skew window (5 h), and with -M a full
        // server refuses new ones instead of evicting (an evicted nonce would be a replay:
        // the memcache store refuses servers without it).
        args.extend(strings(&["-m", "1024", "-M"]));
    }
    let spec = Spec {
        program: server,
        args,
        user: None,
        log: dir.join("server.log"),
        stop_signal: "TERM",
        dir: dir.to_path_buf(),
    };
    let probe = Probe::Memcache { port };
    let nodes = start_nodes(backend, vec![spec], &probe)?;
    Ok(Launched {
        url: format!("memcache://127.0.0.1:{port}"),
        dir: dir.to_path_buf(),
        nodes,
        probe,
        tls_ca_file: None,
    })
}

/// Spawns each process and waits until `probe` holds; on failure stops what started and
/// reports the end of the server log.
pub(crate) fn start_nodes(
    backend: Backend,
    specs: Vec<Spec>,
    probe: &Probe,
) -> Result<Vec<(Spec, Child)>, ServerError> {
    let mut nodes = Vec::new();
    for spec in specs {
        match process::spawn(&spec) {
            Ok(child) => nodes.push((spec, child)),
            Err(error) => {
                stop_all(&mut nodes);
                return Err(failed(
                    backend,
                    &format!("starting {}", spec.program.display()),
                    error,
                ));
            }
        }
    }
    let exited = |nodes: &mut Vec<(Spec, Child)>| {
        nodes.iter_mut().any(|(_, child)| matches!(child.try_wait(), Ok(Some(_))))
    };
    let ready = wait_until(READY_LIMIT, || probe.is_ready() || exited(&mut nodes));
    if !ready || exited(&mut nodes) {
        stop_all(&mut nodes);
        let detail = format!("not ready after {READY_LIMIT:?}, or exited");
        return Err(ServerError::Failed {
            backend: backend.name(),
            step: "waiting for the server to accept connections".into(),
            detail: with_server_logs(detail, &nodes),
        });
    }
    Ok(nodes)
}

pub(crate) fn stop_all(nodes: &mut [(Spec, Child)]) {
    for (spec, child) in nodes {
        if let Err(error) = process::stop(child, spec.stop_signal) {
            tracing::warn!(%error, program = %spec.program.display(), "could not stop test server");
        }
    }
}

/// `detail` followed by the end of each server process's own log.
fn with_server_logs(detail: String, nodes: &[(Spec, Child)]) -> String {
    let mut logs: Vec<&Path> = nodes.iter().map(|(spec, _)| spec.log.as_path()).collect();
    logs.dedup();
    logs.into_iter()
        .fold(detail, |text, log| format!("{text}\nthe server's {}", process::log_tail(log)))
}

fn failed(backend: Backend, step: &str, error: impl std::fmt::Display) -> ServerError {
    ServerError::Failed {
        backend: backend.name(),
        step: step.to_owned(),
        detail: error.to_string(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn reserve_port(backend: Backend, dir: &Path) -> Result<u16, ServerError> {
    ports::reserve(dir).map_err(|e| failed(backend, "reserving a port", e))
}

fn temp_dir(backend: Backend, variant: Variant, shared: bool) -> std::io::Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = if shared {
        shared_dir(backend, variant, std::process::id())
    } else {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "openid-test-{}-{}-{}-{nanos}",
            backend.name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        std::env::temp_dir().join(name)
    };
    std::fs::create_dir(&dir)?;
    std::fs::create_dir(process::tmp_dir(&dir))?;
    Ok(dir)
}

/// The data directory of the shared server of process `pid`: a child process (the
/// conformance suite's cross-process case) finds its parent's server there.
pub(crate) fn shared_dir(backend: Backend, variant: Variant, pid: u32) -> PathBuf {
    let (name, suffix) = (backend.name(), variant.suffix());
    std::env::temp_dir().join(format!("openid-test-{name}{suffix}-{pid}-shared"))
}

/// Finds a program on PATH, in the sbin directories (not on a non-root PATH), or for
/// PostgreSQL in the newest `/usr/lib/postgresql/<version>/bin`.
fn find_binary(backend: Backend, name: &'static str) -> Result<PathBuf, ServerError> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    dirs.extend(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from));
    if backend == Backend::Postgres {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_string_lossy().parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort();
        // The versioned directory first: /usr/local/bin may hold only some of the tools.
        for (_, bin) in versions.into_iter().rev() {
            dirs.insert(0, bin);
        }
    }
    dirs.into_iter().map(|dir| dir.join(name)).find(|candidate| candidate.is_file()).ok_or(
        ServerError::MissingBinary {
            backend: backend.name(),
            binary: name,
            package: backend.package(),
            variable: backend.url_variable(),
        },
    )
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status.lines().any(|line| {
            line.strip_prefix("Uid:").is_some_and(|ids| ids.split_whitespace().nth(1) == Some("0"))
        })
    })
}

/// `(uid, gid)` of a system user, from /etc/passwd.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> PathBuf {
        temp_dir(Backend::Memcache, Variant::Standard, false).unwrap()
    }

    #[test]
    fn a_failed_setup_command_shows_the_end_of_its_own_output() {
        let dir = instance();
        let script = "echo advice; echo 'ERROR: the real cause' >&2; exit 3";
        let detail =
            process::run(Path::new("/bin/sh"), &strings(&["-c", script]), None, &dir).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(detail.contains("exit status: 3"), "{detail}");
        assert!(detail.contains("ERROR: the real cause"), "{detail}");
        assert!(detail.contains("sh.log ends:"), "{detail}");
    }

    #[test]
    fn a_server_that_exits_at_start_is_reported_with_the_end_of_its_log() {
        let dir = instance();
        let spec = Spec {
            program: PathBuf::from("/bin/sh"),
            args: strings(&["-c", "echo 'bind: Address already in use'; exit 1"]),
            user: None,
            log: dir.join("server.log"),
            stop_signal: "TERM",
            dir: dir.clone(),
        };
        let error =
            start_nodes(Backend::Memcache, vec![spec], &Probe::Memcache { port: 1 }).err().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let message = error.to_string();
        assert!(message.contains("bind: Address already in use"), "{message}");
        assert!(message.contains("server.log ends:"), "{message}");
    }

    #[test]
    fn setup_commands_and_servers_get_the_instance_s_own_temporary_directory() {
        let dir = instance();
        process::run(Path::new("/bin/sh"), &strings(&["-c", "echo \"$TMPDIR\""]), None, &dir)
            .unwrap();
        let printed = std::fs::read_to_string(dir.join("sh.log")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(printed.trim(), process::tmp_dir(&dir).to_string_lossy());
    }

    #[test]
    fn reserved_ports_are_distinct_until_their_instance_is_gone() {
        let dirs: Vec<PathBuf> = (0..20).map(|_| instance()).collect();
        let mut ports: Vec<u16> = dirs.iter().map(|dir| ports::reserve(dir).unwrap()).collect();
        let link = std::env::temp_dir().join("openid-test-ports").join(ports[0].to_string());
        assert_eq!(std::fs::read_link(&link).unwrap(), dirs[0]);
        for dir in &dirs {
            std::fs::remove_dir_all(dir).unwrap();
        }
        // The links now dangle: the ports are free for the next pick.
        assert!(!link.exists());
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 20);
        assert!(ports.iter().all(|port| (10_000..30_000).contains(port)), "{ports:?}");
    }
}
