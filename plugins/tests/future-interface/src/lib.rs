//! The same plugin as the SDK would make, but against interface version 0.3.0: the host must
//! refuse it and name the versions it supports.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::sohoa::plugin::rules::Guest;
use sohoa::plugin::types::*;

struct Future;

impl Guest for Future {
    fn describe() -> Metadata {
        Metadata {
            id: "future-interface".into(),
            version: "0.1.0".into(),
            name: "Phiên bản giao diện tương lai".into(),
            description: String::new(),
            kinds: vec![RuleKind::Composition],
            indicators: vec![],
            params: vec![],
        }
    }
    fn check_teams(_: Vec<Team>, _: Date, _: Vec<Param>) -> Result<Vec<Finding>, PluginError> {
        Ok(vec![])
    }
    fn render_report(_: ReportInput, _: Vec<Param>) -> Result<Document, PluginError> {
        Err(PluginError::Unsupported(String::new()))
    }
    fn assess(_: Vec<Candidate>, _: String, _: Vec<Param>) -> Result<Vec<Assessment>, PluginError> {
        Err(PluginError::Unsupported(String::new()))
    }
}

export!(Future);
