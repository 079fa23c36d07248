//! Configuration: TOML parsed in two stages.
//!
//! PLACEHOLDER SKELETON — replaced by the config work.

mod types;
pub use types::*;

use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let _ = path;
    Err(ConfigError("not implemented".into()))
}
