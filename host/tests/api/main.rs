//! API and storage tests, each run on SQLite and (when configured) PostgreSQL.

mod harness;

mod auth;
mod authz;
mod errors;
mod imports;
mod members;
mod plugins;
mod roster;
mod teams;
mod units;
