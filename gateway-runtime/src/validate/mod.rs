//! Request validation support for the generated checkers: where a rule
//! failed ([`Violations`]), how raw parameter strings become typed values
//! ([`params`]), and the string formats asserted in requests ([`formats`]).
//!
//! The generated code calls into this module; it never interprets a schema.

mod evaluated;
pub mod formats;
pub mod params;
pub mod pattern;
mod violations;

pub use evaluated::Evaluated;
pub use params::{Captures, ContentKind, Kind, Param, QueryPairs, RequestParts, Shape, Style};
pub use violations::{Location, Sink, Verdict, Violation, Violations, run};
