//! API and storage tests, each run on SQLite and (when configured) PostgreSQL.

mod harness;

mod errors;
mod imports;
mod members;
mod roster;
mod teams;
mod units;
