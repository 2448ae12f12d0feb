//! Criterion benchmarks of openid-rs. The benches live in `benches/`: `discovery`,
//! `stores` (memory, file, SQLite), `servers` (PostgreSQL, MariaDB, Redis, memcached) and
//! `login` (`Consumer::complete`, a whole login); run one with `cargo bench -p openid-benches --bench <name>`. Results are recorded in
//! `BENCHMARKS.md` at the root of the repository.
//!
//! The `openid-peers` binary (`benches/peers/`) is one side of the side-by-side comparison
//! with python3-openid that `scripts/bench-peers.sh` runs; `examples/pool_gap.rs` takes the
//! PostgreSQL store's time with several threads apart, and `examples/complete_floor.rs`
//! `Consumer::complete`'s (BENCHMARKS.md).

pub mod assertions;
pub mod associations;
pub mod documents;
pub mod nonces;
pub mod postgres_bare;
pub mod threads;
