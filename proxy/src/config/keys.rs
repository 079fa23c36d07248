//! Every key of the file, by section, with an example value.
//!
//! Used for fix-it hints ("write it as `weight = 10`", "`weight` belongs in
//! `[[listen.server]]`") and by the tests that keep docs/configuration.md and
//! config/example.toml complete.

/// `(section.key, example value)`; sections are written without indices (`listen.server`).
pub const KEYS: &[(&str, &str)] = &[
    ("global", "{ maxconn = 4000 }"),
    ("global.maxconn", "4000"),
    ("global.nbthread", "2"),
    ("global.datapath", "\"auto\""),
    ("global.node", "\"db-proxy-1\""),
    ("global.description", "\"MySQL failover\""),
    ("global.stats_timeout", "\"10s\""),
    ("global.user", "\"nobody\""),
    ("global.group", "\"nogroup\""),
    ("global.uid", "65534"),
    ("global.gid", "65534"),
    ("stats_socket", "[{ path = \"/run/sockhop/stats.sock\" }]"),
    ("stats_socket.path", "\"/run/sockhop/stats.sock\""),
    ("stats_socket.address", "\"ipv4@127.0.0.1:9999\""),
    ("stats_socket.mode", "\"0660\""),
    ("stats_socket.level", "\"admin\""),
    ("stats_socket.uid", "0"),
    ("stats_socket.gid", "0"),
    ("stats_socket.user", "\"root\""),
    ("stats_socket.group", "\"mysql\""),
    ("defaults", "{ timeout_connect = \"5s\" }"),
    ("defaults.timeout_connect", "\"5s\""),
    ("defaults.timeout_client", "\"1m\""),
    ("defaults.timeout_server", "\"1m\""),
    ("defaults.timeout_check", "\"2s\""),
    ("defaults.retries", "3"),
    ("defaults.maxconn", "4000"),
    ("defaults.inter", "\"2s\""),
    ("defaults.fastinter", "\"500ms\""),
    ("defaults.downinter", "\"5s\""),
    ("defaults.rise", "2"),
    ("defaults.fall", "3"),
    ("defaults.on_marked_down", "\"shutdown-sessions\""),
    ("defaults.on_marked_up", "\"shutdown-backup-sessions\""),
    ("defaults.failback", "\"manual\""),
    ("defaults.source", "\"127.0.0.2\""),
    ("listen", "[{ name = \"MySQL\" }]"),
    ("listen.name", "\"MySQL\""),
    ("listen.bind", "[\"0.0.0.0:3306\"]"),
    ("listen.mode", "\"tcp\""),
    ("listen.balance", "\"roundrobin\""),
    ("listen.mysql_check", "{ user = \"haproxy\" }"),
    ("listen.mysql_check.user", "\"haproxy\""),
    ("listen.maxconn", "2000"),
    ("listen.retries", "3"),
    ("listen.allbackups", "false"),
    ("listen.on_marked_down", "\"shutdown-sessions\""),
    ("listen.on_marked_up", "\"shutdown-backup-sessions\""),
    ("listen.failback", "\"manual\""),
    ("listen.timeout_connect", "\"5s\""),
    ("listen.timeout_client", "\"1m\""),
    ("listen.timeout_server", "\"1m\""),
    ("listen.timeout_check", "\"2s\""),
    ("listen.inter", "\"2s\""),
    ("listen.fastinter", "\"500ms\""),
    ("listen.downinter", "\"5s\""),
    ("listen.rise", "2"),
    ("listen.fall", "3"),
    ("listen.datapath", "\"copy\""),
    ("listen.source", "\"127.0.0.2\""),
    (
        "listen.server",
        "[{ name = \"Primary\", address = \"127.0.0.10:3306\" }]",
    ),
    ("listen.server.name", "\"Primary\""),
    ("listen.server.address", "\"127.0.0.10:3306\""),
    ("listen.server.check", "true"),
    ("listen.server.inter", "\"2s\""),
    ("listen.server.fastinter", "\"500ms\""),
    ("listen.server.downinter", "\"5s\""),
    ("listen.server.rise", "2"),
    ("listen.server.fall", "3"),
    ("listen.server.weight", "10"),
    ("listen.server.backup", "true"),
    ("listen.server.maxconn", "500"),
    ("listen.server.source", "\"127.0.0.2\""),
    ("listen.server.disabled", "false"),
    ("web", "{ bind = \"127.0.0.1:8404\" }"),
    ("web.bind", "\"127.0.0.1:8404\""),
    ("web.refresh", "\"5s\""),
    (
        "web.users",
        "[{ name = \"admin\", password = \"s3cret\", level = \"admin\" }]",
    ),
    ("web.users.name", "\"admin\""),
    ("web.users.password", "\"s3cret\""),
    ("web.users.level", "\"admin\""),
];

/// Sections that are arrays of tables (`[[...]]`).
pub const TABLE_ARRAYS: &[&str] = &["stats_socket", "listen", "listen.server", "web.users"];

/// `listen[0].server[1].weight` -> `listen.server.weight`.
pub fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            _ if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

/// The example value of a key, by its (possibly indexed) path.
pub fn example(path: &str) -> Option<&'static str> {
    let path = normalize(path);
    KEYS.iter().find(|(k, _)| *k == path).map(|(_, v)| *v)
}

/// The sections where `name` is a valid key, written as in the file (`[[listen.server]]`).
pub fn sections_with(name: &str) -> Vec<String> {
    KEYS.iter()
        .filter_map(|(k, _)| {
            let (section, key) = k.rsplit_once('.')?;
            (key == name).then(|| section_header(section))
        })
        .collect()
}

/// `listen.server` -> `[[listen.server]]`, `global` -> `[global]`,
/// `listen.mysql_check` -> `mysql_check`.
pub fn section_header(section: &str) -> String {
    if TABLE_ARRAYS.contains(&section) {
        format!("[[{section}]]")
    } else if section.contains('.') {
        section.rsplit('.').next().unwrap_or(section).to_string()
    } else {
        format!("[{section}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_and_lookup() {
        assert_eq!(
            normalize("listen[0].server[12].weight"),
            "listen.server.weight"
        );
        assert_eq!(example("listen[3].server[1].weight"), Some("10"));
        assert_eq!(example("listen[0].nope"), None);
        assert_eq!(sections_with("weight"), vec!["[[listen.server]]"]);
        assert_eq!(
            sections_with("user"),
            vec!["[global]", "[[stats_socket]]", "mysql_check"]
        );
        assert_eq!(section_header("global"), "[global]");
    }
}
