//! Criterion benchmarks of openid-rs. The benches live in `benches/`; run them with
//! `cargo bench -p openid-benches --bench stores`. Results are recorded in `BENCHMARKS.md`
//! at the root of the repository.
