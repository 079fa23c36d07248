//! Tests over the shipped files: config/*.toml, config/fixtures/valid (typed values,
//! defaults, precedence) and config/fixtures/invalid (one file per rule, each declaring the
//! message and line it must fail with), plus the completeness of docs and example.

use super::*;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

fn load_ok(rel: &str) -> Config {
    let path = repo_file(rel);
    load(&path).unwrap_or_else(|e| panic!("{rel} must be valid: {e}"))
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

#[test]
fn every_invalid_fixture_fails_with_its_message_and_line() {
    let dir = repo_file("config/fixtures/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 50,
        "expected one fixture per rule, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let expect = lines
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# expect: ...`", path.display()));
        let line: usize = lines
            .next()
            .and_then(|l| l.strip_prefix("# line: "))
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("{}: second line must be `# line: N`", path.display()));
        let message = match load(path) {
            Ok(_) => {
                failures.push(format!("{}: was accepted", path.display()));
                continue;
            }
            Err(e) => {
                if e.line() != Some(line) {
                    failures.push(format!(
                        "{}: line {:?}, want {line}: {e}",
                        path.display(),
                        e.line()
                    ));
                }
                e.to_string()
            }
        };
        let prefix = format!("{}:{line}:", path.display());
        if !message.starts_with(&prefix) {
            failures.push(format!("{message}\n  does not start with {prefix}"));
        }
        if !message.contains(expect) {
            failures.push(format!("{message}\n  does not contain {expect:?}"));
        }
        if message.contains('\n') {
            failures.push(format!("{message}\n  is not one clean line"));
        }
        // `<problem>. <fix>`: a fix follows the problem.
        if !message.contains(". ") || !message.ends_with(['.', '?']) {
            failures.push(format!("{message}\n  has no fix sentence"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn seed_is_accepted_as_issue_2_wrote_it() {
    let c = load_ok("config/seed.toml");
    assert_eq!(c.global.maxconn, 4000);
    assert_eq!(c.global.datapath, DataPathChoice::Auto);
    assert_eq!(c.stats_sockets.len(), 1);
    let s = &c.stats_sockets[0];
    assert_eq!(
        s.endpoint,
        StatsEndpoint::Unix(PathBuf::from("/run/sockhop/stats.sock"))
    );
    assert_eq!(s.mode, 0o660);
    assert_eq!(s.level, Level::Admin);
    assert_eq!((s.uid, s.gid), (None, None));
    assert_eq!(c.listens.len(), 1);
    let l = &c.listens[0];
    assert_eq!(l.name, "MySQL");
    assert_eq!(l.binds, vec![addr("0.0.0.0:3306")]);
    assert_eq!(l.balance, Balance::RoundRobin);
    let check = MysqlCheck {
        user: "haproxy".into(),
    };
    assert_eq!(l.mysql_check, Some(check.clone()));
    assert_eq!(
        l.timeouts,
        Timeouts {
            connect: secs(10),
            client: secs(60),
            server: secs(60),
            check: None
        }
    );
    assert_eq!(l.maxconn, 4000, "listen maxconn defaults to global maxconn");
    assert_eq!(l.retries, 3);
    let names: Vec<&str> = l.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Primary", "Secondary"]);
    let (p, s) = (&l.servers[0], &l.servers[1]);
    assert_eq!(p.address, addr("127.0.0.10:3306"));
    assert_eq!(p.address_text, "127.0.0.10:3306");
    assert_eq!(p.check, Some(CheckKind::Mysql(check.clone())));
    assert!(!p.backup);
    assert_eq!(s.address, addr("127.0.0.20:3306"));
    assert_eq!(s.check, Some(CheckKind::Mysql(check)));
    assert!(s.backup);
    for server in &l.servers {
        assert_eq!(
            server.check_params,
            CheckParams {
                inter: secs(2),
                fastinter: secs(2),
                downinter: secs(2),
                rise: 2,
                fall: 3
            }
        );
        assert_eq!(server.weight, 1);
        assert_eq!(server.maxconn, None);
        assert!(!server.disabled);
    }
}

#[test]
fn demo_checks_every_second() {
    let c = load_ok("config/demo.toml");
    assert_eq!(c.stats_sockets[0].mode, 0o660);
    assert_eq!(c.stats_sockets[0].level, Level::Admin);
    let l = &c.listens[0];
    assert_eq!(l.binds, vec![addr("127.0.0.1:3306")]);
    assert_eq!(l.mysql_check.as_ref().unwrap().user, "haproxy");
    let (p, s) = (&l.servers[0], &l.servers[1]);
    assert_eq!((p.name.as_str(), p.backup), ("Primary", false));
    assert_eq!((s.name.as_str(), s.backup), ("Secondary", true));
    for server in [p, s] {
        assert!(matches!(server.check, Some(CheckKind::Mysql(_))));
        assert_eq!(server.check_params.inter, secs(1));
        assert_eq!(server.check_params.fastinter, secs(1));
        assert_eq!(server.check_params.downinter, secs(1));
        assert_eq!((server.check_params.rise, server.check_params.fall), (2, 3));
    }
}

#[test]
fn minimal_file_gets_every_builtin_default() {
    let c = load_ok("config/fixtures/valid/minimal.toml");
    assert_eq!(c.global.maxconn, builtin::GLOBAL_MAXCONN);
    assert_eq!(c.global.datapath, DataPathChoice::Auto);
    assert_eq!(c.global.node, system::hostname());
    assert_eq!(c.global.description, "");
    assert_eq!(c.global.stats_timeout, secs(10));
    assert!(c.stats_sockets.is_empty());
    let l = &c.listens[0];
    assert_eq!(
        l.binds,
        vec![addr("0.0.0.0:3306")],
        "`*` is every IPv4 address"
    );
    assert_eq!(l.balance, Balance::RoundRobin);
    assert_eq!(l.mysql_check, None);
    assert_eq!(l.maxconn, 4000);
    assert_eq!(l.retries, 3);
    assert!(!l.allbackups);
    assert_eq!(l.on_marked_down, OnMarkedDown::Nothing);
    assert_eq!(l.on_marked_up, OnMarkedUp::Nothing);
    assert_eq!(l.failback, Failback::Auto);
    assert_eq!(
        l.timeouts,
        Timeouts {
            connect: secs(5),
            client: secs(60),
            server: secs(60),
            check: None
        }
    );
    assert_eq!(l.datapath, None);
    assert_eq!(l.datapath(&c.global), DataPathChoice::Auto);
    let s = &l.servers[0];
    assert_eq!(s.check, None, "no check unless check = true");
    assert_eq!(
        s.check_params,
        CheckParams {
            inter: secs(2),
            fastinter: secs(2),
            downinter: secs(2),
            rise: 2,
            fall: 3
        }
    );
    assert_eq!(
        (s.weight, s.backup, s.maxconn, s.source, s.disabled),
        (1, false, None, None, false)
    );
}

#[test]
fn precedence_is_server_then_listen_then_defaults_then_builtin() {
    let c = load_ok("config/fixtures/valid/precedence.toml");
    let (inherits, overrides) = (&c.listens[0], &c.listens[1]);

    // Only [defaults] set: its values, built-ins for the rest.
    assert_eq!(inherits.retries, 1);
    assert_eq!(inherits.maxconn, 300);
    assert_eq!(inherits.timeouts.client, secs(600));
    assert_eq!(inherits.timeouts.connect, secs(5));
    assert_eq!(inherits.on_marked_down, OnMarkedDown::ShutdownSessions);
    assert_eq!(
        inherits.servers[0].check,
        Some(CheckKind::Tcp),
        "check without mysql_check is TCP"
    );
    assert_eq!(
        inherits.servers[0].check_params,
        CheckParams {
            inter: secs(3),
            fastinter: secs(3),
            downinter: secs(3),
            rise: 4,
            fall: 5
        }
    );
    assert_eq!(inherits.servers[0].source, ip("127.0.0.3"));

    // The listen overrides [defaults].
    assert_eq!(
        overrides.binds,
        vec![addr("127.0.0.1:3307"), addr("[::1]:3307")]
    );
    assert_eq!(overrides.retries, 0);
    assert_eq!(overrides.maxconn, 50);
    assert_eq!(overrides.timeouts.client, secs(1800));
    assert_eq!(overrides.timeouts.check, Some(ms(700)));
    assert_eq!(overrides.on_marked_down, OnMarkedDown::Nothing);
    assert_eq!(overrides.on_marked_up, OnMarkedUp::ShutdownBackupSessions);
    assert_eq!(overrides.datapath, Some(DataPathChoice::Splice));
    assert_eq!(overrides.datapath(&c.global), DataPathChoice::Splice);
    let monitor = CheckKind::Mysql(MysqlCheck {
        user: "monitor".into(),
    });

    // The server overrides its listen, key by key.
    let own = &overrides.servers[0];
    assert_eq!(own.address, addr("127.0.0.1:3306"));
    assert_eq!(own.address_text, "localhost:3306");
    assert_eq!(own.check, Some(monitor.clone()));
    assert_eq!(
        own.check_params,
        CheckParams {
            inter: ms(100),
            fastinter: ms(250),
            downinter: secs(10),
            rise: 3,
            fall: 1
        }
    );
    assert_eq!(own.source, ip("127.0.0.5"));
    assert_eq!((own.weight, own.maxconn, own.disabled), (0, Some(20), true));

    let listen_level = &overrides.servers[1];
    assert_eq!(listen_level.check, Some(monitor));
    assert_eq!(
        listen_level.check_params,
        CheckParams {
            inter: ms(1500),
            fastinter: ms(250),
            downinter: ms(1500),
            rise: 3,
            fall: 5
        }
    );
    assert_eq!(listen_level.source, ip("127.0.0.4"));

    let unchecked = &overrides.servers[2];
    assert_eq!(unchecked.check, None);
    assert_eq!(unchecked.check_params.inter, secs(9));
}

#[test]
fn allowed_edge_cases() {
    let c = load_ok("config/fixtures/valid/edge-cases.toml");
    assert_eq!(c.global.node, "proxy-a");
    assert_eq!(c.global.description, "edge cases");
    assert_eq!(c.global.stats_timeout, secs(60));
    let [admin, user, tcp4, tcp6, bare] = &c.stats_sockets[..] else {
        panic!("five sockets")
    };
    assert_eq!(
        (&tcp4.endpoint, tcp4.level),
        (&StatsEndpoint::Tcp(addr("127.0.0.1:9999")), Level::Admin)
    );
    assert_eq!(tcp4.endpoint.to_string(), "ipv4@127.0.0.1:9999");
    assert_eq!(
        (&tcp6.endpoint, tcp6.level),
        (&StatsEndpoint::Tcp(addr("[::1]:9999")), Level::User)
    );
    assert_eq!(tcp6.endpoint.to_string(), "ipv6@[::1]:9999");
    assert_eq!(
        (&bare.endpoint, bare.level),
        (&StatsEndpoint::Tcp(addr("127.0.0.1:9998")), Level::Operator)
    );
    assert_eq!(
        (admin.mode, admin.uid, admin.gid, admin.level),
        (0o600, Some(0), Some(0), Level::Operator)
    );
    assert_eq!(
        (user.mode, user.uid, user.gid, user.level),
        (0o666, Some(0), Some(0), Level::User)
    );
    assert!(
        c.listens[0].servers.is_empty(),
        "a listen without servers is allowed"
    );
    let backups = &c.listens[1];
    assert_eq!(backups.name, "backups.only:1");
    assert_eq!(backups.balance, Balance::First);
    assert_eq!(backups.failback, Failback::Manual);
    assert!(!backups.allbackups);
    assert!(backups.servers.iter().all(|s| s.backup));
}

#[test]
fn example_sets_every_key() {
    let c = load_ok("config/example.toml");
    assert_eq!(c.global.node, "db-proxy-1");
    assert_eq!((c.global.uid, c.global.gid), (Some(65534), Some(65534)));
    let s = &c.stats_sockets[0];
    assert_eq!(
        (s.uid, s.gid, s.mode, s.level),
        (Some(0), Some(0), 0o660, Level::Admin)
    );
    let l = &c.listens[0];
    assert_eq!(l.failback, Failback::Manual);
    assert_eq!(l.retries, 2);
    assert_eq!(l.maxconn, 1000);
    assert_eq!(l.timeouts.connect, secs(3));
    assert_eq!(l.servers[0].maxconn, Some(500));
    let ro = &c.listens[1];
    assert_eq!(ro.maxconn, 2000, "from [defaults]");
    assert_eq!(ro.failback, Failback::Auto);
    assert_eq!(ro.on_marked_down, OnMarkedDown::ShutdownSessions);
    assert_eq!(ro.servers[0].check_params.fastinter, secs(1));
    assert_eq!(ro.servers[0].check_params.downinter, secs(5));
    let web = c.web.as_ref().expect("[web] is in the example");
    assert_eq!(web.bind, addr("127.0.0.1:8404"));
    assert_eq!(web.refresh, secs(5));
    assert_eq!(
        web.users
            .iter()
            .map(|u| (u.name.as_str(), u.level))
            .collect::<Vec<_>>(),
        vec![("admin", WebLevel::Admin), ("monitoring", WebLevel::User)]
    );
}

#[test]
fn unreadable_file_names_the_path() {
    let e = load(Path::new("/nonexistent/sockhop.toml")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("/nonexistent/sockhop.toml: cannot read"),
        "{text}"
    );
    assert!(text.contains("--config"), "{text}");
    assert_eq!(e.line(), None);
}

#[test]
fn errors_carry_key_paths() {
    let text = "[[listen]]\nname = \"a\"\nbind = [\"127.0.0.1:1\"]\n[[listen.server]]\nname = \"s\"\naddress = \"127.0.0.1:2\"\n[[listen.server]]\nname = \"t\"\naddress = \"127.0.0.1:3\"\nweight = 999\n";
    let e = parse(text, Path::new("t.toml")).unwrap_err();
    assert_eq!(e.key(), Some("listen[0].server[1].weight"));
    assert_eq!(e.line(), Some(10));
    let e = parse(&text.replace("weight", "wieght"), Path::new("t.toml")).unwrap_err();
    assert_eq!(e.key(), Some("listen[0].server[1].wieght"));
    assert!(e.to_string().ends_with("Did you mean `weight`?"), "{e}");
}

/// Serde introspection: the field names a `Deserialize` struct asks for.
mod introspect {
    use serde::de::{self, Deserialize, Deserializer, Visitor};
    use std::fmt;

    #[derive(Debug)]
    pub struct Fields(pub &'static [&'static str]);

    impl fmt::Display for Fields {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl std::error::Error for Fields {}

    impl de::Error for Fields {
        fn custom<T: fmt::Display>(_: T) -> Self {
            Fields(&[])
        }
    }

    struct Grab;

    impl<'de> Deserializer<'de> for Grab {
        type Error = Fields;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Fields> {
            Err(Fields(&[]))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Fields> {
            Err(Fields(fields))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    pub fn fields<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
        match T::deserialize(Grab) {
            Err(Fields(f)) => f,
            Ok(_) => unreachable!("Grab never yields a value"),
        }
    }
}

/// Every key of the raw mirror, as `section.key`.
fn all_keys() -> Vec<String> {
    use introspect::fields;
    let sections: [(&str, &[&str]); 9] = [
        ("", fields::<raw::RawConfig>()),
        ("global", fields::<raw::RawGlobal>()),
        ("stats_socket", fields::<raw::RawStatsSocket>()),
        ("defaults", fields::<raw::RawDefaults>()),
        ("listen", fields::<raw::RawListen>()),
        ("listen.mysql_check", fields::<raw::RawMysqlCheck>()),
        ("listen.server", fields::<raw::RawServer>()),
        ("web", fields::<raw::RawWeb>()),
        ("web.users", fields::<raw::RawWebUser>()),
    ];
    let mut keys = Vec::new();
    for (section, names) in sections {
        assert!(
            !names.is_empty(),
            "introspection of {section:?} found no fields"
        );
        for name in names {
            keys.push(if section.is_empty() {
                name.to_string()
            } else {
                format!("{section}.{name}")
            });
        }
    }
    keys
}

#[test]
fn key_table_matches_the_raw_mirror() {
    let mirror = all_keys();
    let table: Vec<&str> = keys::KEYS.iter().map(|(k, _)| *k).collect();
    for k in &mirror {
        assert!(table.contains(&k.as_str()), "keys.rs lacks {k}");
    }
    for k in &table {
        assert!(
            mirror.iter().any(|m| m == k),
            "keys.rs has {k}, the file format does not"
        );
    }
    // Every example value is itself accepted by the raw mirror's type for that key.
    for (k, example) in keys::KEYS {
        let Some((section, name)) = k.rsplit_once('.') else {
            continue;
        };
        let doc = match section {
            "listen.server" => format!(
                "[[listen]]\nname = \"l\"\nbind = [\"127.0.0.1:1\"]\n[[listen.server]]\n{name} = {example}\n"
            ),
            "listen.mysql_check" => format!(
                "[[listen]]\nname = \"l\"\nbind = [\"127.0.0.1:1\"]\nmysql_check.{name} = {example}\n"
            ),
            "stats_socket" | "listen" | "web.users" => {
                format!("[[{section}]]\n{name} = {example}\n")
            }
            s => format!("[{s}]\n{name} = {example}\n"),
        };
        if let Err(e) = toml::from_str::<raw::RawConfig>(&doc) {
            panic!("example of {k} does not fit its type: {e}");
        }
    }
}

#[test]
fn docs_and_example_mention_every_key() {
    let docs = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    let example = std::fs::read_to_string(repo_file("config/example.toml")).unwrap();
    for k in all_keys() {
        let name = k.rsplit('.').next().unwrap();
        // Sections appear as headers, keys as `name` (docs) and `name = ` (example).
        let header = [format!("[{k}]"), format!("[[{k}]]")];
        let in_docs =
            docs.contains(&format!("`{name}`")) || header.iter().any(|h| docs.contains(h));
        let in_example =
            example.contains(&format!("{name} = ")) || header.iter().any(|h| example.contains(h));
        assert!(in_docs, "docs/configuration.md lacks {k}");
        assert!(in_example, "config/example.toml lacks {k}");
    }
}
