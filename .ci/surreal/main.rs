//! `surreal`: SurrealDB's own command line (start, export, import, …), for .ci/scale.
#![recursion_limit = "256"]

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
