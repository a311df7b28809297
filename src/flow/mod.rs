//! Flows: scripted conversations with assertions, for CI. A flow file
//! (`*.flow.toml`, or a JetBrains-style `.http` file) is compiled into
//! [`step::Step`]s, run by the pure [`machine::FlowRun`], and reported by
//! [`report`].
//!
//! May import: `conn`, `decode`, `export`, `filter`, `format`, `jq`,
//! `profile`, `protocol`, `record`, `sanitize`, `secrets`, `stats`.

pub mod file;
pub mod http_file;
pub mod machine;
pub mod record;
pub mod report;
pub mod schema;
pub mod step;
