//! sohoa's host: storage, HTTP API and command line for the Community Digital Technology
//! Teams (Tổ công nghệ số cộng đồng) of Viet Nam's communes and villages.
//!
//! The data path is request -> domain service -> storage (sqlx over SQLite or PostgreSQL).
//! Each concept has one module: [`units`] (the administrative tree over time), [`teams`]
//! (teams, people, memberships, roster import), [`auth`] (roles scoped to the tree, sessions,
//! tokens), [`users`], [`audit`] (the append-only trail), with [`api`] holding the HTTP
//! plumbing and [`cli`] the commands. Locality rules run as sandboxed WebAssembly [`plugins`]:
//! composition checks (in [`teams`]), report templates ([`reports`], laid out by
//! [`documents`]) and commendation criteria ([`commendations`]). [`web`] serves the pages in
//! Vietnamese over the same services and permission table as the API.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod changes;
pub mod cli;
pub mod commendations;
pub mod config;
pub mod csvfile;
pub mod dates;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod guidance;
pub mod management;
pub mod national;
pub mod nominations;
pub mod observability;
pub mod periods;
pub mod plugins;
pub mod reports;
pub mod spreadsheet;
pub mod teams;
pub mod telemetry;
pub mod text;
pub mod units;
pub mod users;
pub mod vocab;
pub mod web;
