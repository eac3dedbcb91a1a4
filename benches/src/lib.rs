//! Benchmarks and the load generator live here (see BENCHMARKS.md).
