//! Criterion benchmarks for openid-rs. The benches live in `benches/`; their results are
//! recorded in `BENCHMARKS.md` at the workspace root.
