//! The `douane` gateway: the runtime's command line over the contracts
//! compiled into this crate.

fn main() -> std::process::ExitCode {
    douane_runtime::cli::main(&douane_generated::CONTRACT)
}
