//! [`ConfigError`]: the one error type of configuration loading.
//!
//! Every error renders as a single line a person can act on:
//! `<file>:<line>:<col>: <key path>: <problem>. <how to fix>`.

use std::path::PathBuf;

/// Why a configuration file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error(
        "{}: cannot read the configuration file: {source}. Check the path given with --config and that the file is readable UTF-8 text.",
        path.display()
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid configuration.
    #[error("{}:{line}:{column}: {}{problem}. {fix}", file.display(), key_prefix(key))]
    Invalid {
        file: PathBuf,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column (in characters) of the offending text.
        column: usize,
        /// Where in the file's structure, e.g. `listen[0].server[1].weight`; empty when the
        /// problem is not tied to a key (TOML syntax).
        key: String,
        /// What is wrong, without a final period.
        problem: String,
        /// How to fix it, as a sentence ending with a period.
        fix: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

impl ConfigError {
    /// The 1-based line the error points at, if it points into the file.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The key path the error is about (`listen[0].server[1].weight`), if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Invalid { key, .. } => Some(key).filter(|k| !k.is_empty()).map(|k| &**k),
        }
    }
}
