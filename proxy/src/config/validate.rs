//! Stage 2: the raw mirror ([`super::raw`]) checked and turned into [`super::types`], with
//! defaults applied (precedence: server > listen > `[defaults]` > built-in).
//!
//! - [`builtin`]: the built-in defaults.
//! - [`fields`]: checks of single values (ranges, durations, enums, names, IPs).
//! - [`address`]: bind and server addresses (server names are resolved here).
//! - [`layer`]: the keys `[defaults]` and a listen share, and how they merge.
//! - [`global`]: `[global]` and `[[stats_socket]]`.
//! - [`web`]: `[web]` and its `[[web.users]]`.
//! - [`listen`] and [`server`]: one `[[listen]]`, one `[[listen.server]]`.
//!
//! This file checks what spans listens: at least one listen, unique names and binds.

mod address;
pub mod builtin;
mod fields;
mod global;
mod layer;
mod listen;
mod server;
mod web;

use super::error::ConfigError;
use super::raw::RawConfig;
use super::source::Source;
use super::types::Config;
use layer::Layer;
use std::collections::HashMap;

pub fn validate(src: &Source<'_>, raw: &RawConfig) -> Result<Config, ConfigError> {
    let global = global::global(src, &raw.global)?;
    let stats_sockets = global::stats_sockets(src, &raw.stats_socket)?;
    let defaults = Layer::read(src, "defaults", raw.defaults.layer_keys())?;
    if raw.listen.is_empty() {
        // At the end of the file: where the section goes.
        let end = src.text.trim_end().len();
        return Err(src.error(
            end..end,
            "listen",
            "the file has no [[listen]] section, so sockhop would accept nothing",
            "Add a [[listen]] section with a name, a bind address and its [[listen.server]] entries (see config/example.toml)",
        ));
    }
    let mut listens = Vec::with_capacity(raw.listen.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut binds = listen::BindRegistry::default();
    for (i, l) in raw.listen.iter().enumerate() {
        let checked = listen::listen(src, i, l, &defaults, &global)?;
        let (line, _) = src.line_column(checked.name_span.start);
        if let Some(first) = names.insert(checked.listen.name.clone(), line) {
            return Err(src.error(
                checked.name_span.clone(),
                format!("listen[{i}].name"),
                format!(
                    "a listen named `{}` already exists (line {first})",
                    checked.listen.name
                ),
                "Give each [[listen]] its own name; the stats socket addresses backends by name",
            ));
        }
        binds.add(src, i, &checked)?;
        listens.push(checked.listen);
    }
    let web = match &raw.web {
        Some(w) => Some(web::web(src, w, &listens)?),
        None => None,
    };
    Ok(Config {
        path: src.file.to_path_buf(),
        global,
        stats_sockets,
        listens,
        web,
    })
}
