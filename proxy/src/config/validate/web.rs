//! `[web]`: the status page's address, refresh period and `[[web.users]]` accounts.

use super::super::error::ConfigError;
use super::super::raw::{RawWeb, RawWebUser};
use super::super::source::Source;
use super::super::types::{Listen, Web, WebLevel, WebUser};
use super::{address, builtin, fields};
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

const LEVELS: &[(&str, WebLevel)] = &[("user", WebLevel::User), ("admin", WebLevel::Admin)];

pub fn web(src: &Source<'_>, raw: &RawWeb, listens: &[Listen]) -> Result<Web, ConfigError> {
    let table = table_span(src, raw);
    let bind_v = fields::required(src, raw.bind.as_ref(), table.clone(), "web.bind")?;
    let bind = address::bind(src, bind_v, "web.bind")?;
    for l in listens {
        if let Some(taken) = l.binds.iter().find(|b| address::binds_clash(**b, bind)) {
            return Err(src.error(
                bind_v.span(),
                "web.bind",
                format!("{bind} clashes with {taken}, a bind of listen `{}`", l.name),
                "Give the status page its own port, e.g. \"127.0.0.1:8404\" (HAProxy's usual stats port)",
            ));
        }
    }
    let refresh = match &raw.refresh {
        Some(v) => fields::duration(src, v, "web.refresh", true)?,
        None => builtin::WEB_REFRESH,
    };
    if raw.users.is_empty() {
        return Err(src.error(
            table,
            "web.users",
            "[web] has no users, so nobody could log in to the status page",
            "Add an account: users = [{ name = \"admin\", password = \"...\", level = \"admin\" }]",
        ));
    }
    let mut users = Vec::with_capacity(raw.users.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, u) in raw.users.iter().enumerate() {
        let user = web_user(src, i, u)?;
        let name_span = u.get_ref().name.as_ref().map_or(u.span(), |n| n.span());
        let (line, _) = src.line_column(name_span.start);
        if let Some(first) = seen.insert(user.name.clone(), line) {
            return Err(src.error(
                name_span,
                format!("web.users[{i}].name"),
                format!(
                    "a web user named `{}` already exists (line {first})",
                    user.name
                ),
                "Give each account its own name, or remove the duplicate",
            ));
        }
        users.push(user);
    }
    Ok(Web {
        bind,
        refresh,
        users,
    })
}

fn web_user(src: &Source<'_>, i: usize, u: &Spanned<RawWebUser>) -> Result<WebUser, ConfigError> {
    let key = |name: &str| format!("web.users[{i}].{name}");
    let raw = u.get_ref();
    let name_v = fields::required(src, raw.name.as_ref(), u.span(), &key("name"))?;
    let name = name_v.get_ref();
    if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
        return Err(src.error(
            name_v.span(),
            key("name"),
            format!("\"{name}\" cannot be a login name: it is empty or holds ':' or a control character"),
            "Use a name without ':' (HTTP Basic authentication splits name and password at the first ':'), e.g. \"admin\"",
        ));
    }
    let pass_v = fields::required(src, raw.password.as_ref(), u.span(), &key("password"))?;
    let password = pass_v.get_ref();
    if password.is_empty() || password.chars().any(char::is_control) {
        return Err(src.error(
            pass_v.span(),
            key("password"),
            "the password is empty or holds a control character",
            "Set a password a browser can send, e.g. a long random string without line breaks",
        ));
    }
    let level = match &raw.level {
        Some(v) => fields::choice(src, v, &key("level"), LEVELS)?,
        None => WebLevel::User,
    };
    Ok(WebUser {
        name: name.clone(),
        password: password.clone(),
        level,
    })
}

/// Where errors about the section as a whole point: its `[web]` header, else (the table is
/// implicit, only `[[web.users]]` written) its first user, else its first key.
fn table_span(src: &Source<'_>, raw: &RawWeb) -> Range<usize> {
    let mut offset = 0;
    for line in src.text.split_inclusive('\n') {
        if line.trim_start().starts_with("[web]") {
            let start = offset + (line.len() - line.trim_start().len());
            return start..start + "[web]".len();
        }
        offset += line.len();
    }
    raw.users
        .first()
        .map(|u| u.span())
        .or_else(|| raw.bind.as_ref().map(|b| b.span()))
        .or_else(|| raw.refresh.as_ref().map(|r| r.span()))
        .unwrap_or(0..0)
}
