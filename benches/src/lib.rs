//! Criterion benchmarks of openid-rs. The benches live in `benches/`: `discovery`,
//! `stores` (memory, file, SQLite) and `servers` (PostgreSQL, MariaDB, Redis, memcached);
//! run one with `cargo bench -p openid-benches --bench <name>`. Results are recorded in
//! `BENCHMARKS.md` at the root of the repository.
