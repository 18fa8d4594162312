//! The contracts of `specs/` (or `$DOUANE_SPECS`), compiled by
//! `douane-compiler` in `build.rs`: one module per API and the [`CONTRACT`]
//! table that the `douane` binary serves.

include!(concat!(env!("OUT_DIR"), "/contract.rs"));
