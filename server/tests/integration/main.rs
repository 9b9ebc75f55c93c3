//! The server's integration tests: the real `viva` binary, started by each test on its own port
//! and data directory, spoken to over real HTTP (see `support`). One test binary for all of
//! them, so the shared code is compiled and linked once and every test shares the runner's
//! threads; `cargo test --test integration FILE::` runs one file's tests.

mod support;

mod auth;
mod authz;
mod backup;
mod billing;
mod crash;
mod first_minutes;
mod http;
mod interview;
mod oidc;
mod policy;
mod privacy;
mod resume;
mod scale;
mod security;
mod video;
mod voice;
