//! Version 2.0.0 of the test report template; see `../report-template.rs`.

const VERSION: &str = "2.0.0";

#[path = "../../report-template.rs"]
mod template;

sohoa_sdk::register_plugin!(template::Template);
