//! Configuration: a TOML file parsed in two stages.
//!
//! 1. `raw.rs`: serde mirror of the file (`deny_unknown_fields`, every value with its span).
//! 2. `validate.rs` (and `validate/`): checks and defaults, producing the typed model of
//!    `types.rs` that the rest of the daemon reads.
//!
//! Helpers: [`duration`] (`"2s"`, `"100ms"`), `error.rs` (the one [`ConfigError`]),
//! `source.rs` (byte span -> `line:column`), `toml_error.rs` and `keypath.rs` (stage 1
//! errors with their key path), `keys.rs` (every key with an example), `suggest.rs`
//! ("did you mean"), `system.rs` (host name, users, groups, DNS), `tests.rs` (the shipped
//! config files and fixtures), `testing.rs` (typed configurations for tests that need no
//! file).
//!
//! Every key, its default and its HAProxy equivalent: docs/configuration.md.

pub mod duration;
mod error;
mod keypath;
mod keys;
mod raw;
mod source;
mod suggest;
mod system;
#[doc(hidden)]
pub mod testing;
mod toml_error;
mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use types::*;
pub use validate::builtin;

use source::Source;
use std::path::Path;

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Validates configuration `text`; `path` names it in errors and in [`Config::path`].
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let src = Source { file: path, text };
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| toml_error::translate(&src, &e))?;
    validate::validate(&src, &raw)
}
