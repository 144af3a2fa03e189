//! API and storage tests, each run on SQLite and (when configured) PostgreSQL.

mod harness;

mod auth;
mod authz;
mod commendations;
mod duties;
mod errors;
mod field_faults;
mod findings;
mod imports;
mod members;
mod metrics;
mod migrations;
mod openapi;
mod plugins;
mod pool;
pub mod reporting;
mod reports;
mod roster;
mod sandbox;
mod scope_cache;
mod teams;
mod units;
mod web;
