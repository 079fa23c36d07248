//! Tests of `command.rs`.
use super::*;

fn words(s: &str) -> Vec<String> {
    split_words(s.as_bytes())
        .into_iter()
        .map(|w| String::from_utf8(w).unwrap())
        .collect()
}
fn cmd(s: &str) -> Command {
    parse(&split_words(s.as_bytes()))
}

#[test]
fn words_split_on_blanks() {
    assert_eq!(words("  show \t stat  "), ["show", "stat"]);
    assert_eq!(words(""), Vec::<String>::new());
    assert_eq!(words("   "), Vec::<String>::new());
}

#[test]
fn backslash_escapes() {
    assert_eq!(words(r"a\ b c"), ["a b", "c"]);
    assert_eq!(words(r"a\;b"), ["a;b"]);
    assert_eq!(words(r"a\\b"), [r"a\b"]);
    assert_eq!(words(r"ab\"), ["ab"]);
}

#[test]
fn nul_ends_a_word_or_the_command() {
    assert_eq!(
        split_words(b"show cli\0 level"),
        vec![b"show".to_vec(), b"cli".to_vec(), b"level".to_vec()]
    );
    assert!(split_words(b"\0\x01\x02").is_empty());
    assert_eq!(split_words(b"show \0cli"), vec![b"show".to_vec()]);
}

#[test]
fn at_most_64_words() {
    let line = "a ".repeat(100);
    assert_eq!(split_words(line.as_bytes()).len(), MAX_ARGS);
}

#[test]
fn framing_commands() {
    assert_eq!(cmd("prompt"), Command::Prompt);
    assert_eq!(cmd("quit"), Command::Quit);
    assert_eq!(cmd("help"), Command::Help(vec![]));
    assert_eq!(cmd("help show"), Command::Help(vec![b"show".to_vec()]));
    assert_eq!(cmd("show cli level"), Command::ShowCliLevel);
    assert_eq!(cmd("operator"), Command::Operator { no_lf: false });
    assert_eq!(cmd("user -"), Command::User { no_lf: true });
}

#[test]
fn unknown_commands_keep_their_words() {
    assert_eq!(
        cmd("show stats"),
        Command::Unknown(vec![b"show".to_vec(), b"stats".to_vec()])
    );
    assert_eq!(cmd(""), Command::Unknown(vec![]));
    assert_eq!(
        cmd("show cli"),
        Command::Unknown(vec![b"show".to_vec(), b"cli".to_vec()])
    );
    assert!(matches!(
        parse(&[b"\xff\xfe".to_vec()]),
        Command::Unknown(_)
    ));
}

#[test]
fn show_stat_options_and_filter() {
    assert_eq!(cmd("show stat"), Command::ShowStat(Ok(ShowStat::default())));
    let Command::ShowStat(Ok(s)) = cmd("show stat MySQL 4 -1 typed desc up no-maint") else {
        panic!()
    };
    assert_eq!(
        s.filter,
        Some(StatFilter {
            proxy: "MySQL".into(),
            types: 4,
            sid: -1
        })
    );
    assert_eq!(s.format, Format::Typed);
    assert!(s.desc && s.up && s.no_maint);
    let Command::ShowStat(Ok(s)) = cmd("show stat json") else {
        panic!()
    };
    assert_eq!(s.format, Format::Json);
    assert_eq!(s.filter, None);
    // Two words are not a filter.
    let Command::ShowStat(Ok(s)) = cmd("show stat MySQL 4") else {
        panic!()
    };
    assert_eq!(s.filter, None);
    assert_eq!(
        cmd("show stat domain dns"),
        Command::ShowStat(Err("Invalid statistics domain.\n"))
    );
    let Command::ShowStat(Ok(s)) = cmd("show stat domain resolvers") else {
        panic!()
    };
    assert!(s.resolvers);
}

#[test]
fn show_info_options() {
    assert_eq!(cmd("show info"), Command::ShowInfo(ShowInfo::default()));
    assert_eq!(
        cmd("show info json desc"),
        Command::ShowInfo(ShowInfo {
            format: Format::Json,
            desc: true
        })
    );
}

#[test]
fn server_admin_commands() {
    assert_eq!(
        cmd("disable server MySQL/Primary"),
        Command::DisableServer("MySQL/Primary".into())
    );
    assert_eq!(
        cmd("enable server MySQL/Primary"),
        Command::EnableServer("MySQL/Primary".into())
    );
    assert_eq!(cmd("disable server"), Command::DisableServer(String::new()));
    assert_eq!(
        cmd("set server MySQL/Primary state drain"),
        Command::SetServer {
            target: "MySQL/Primary".into(),
            change: Ok(ServerChange::State(AdminChange::Drain))
        }
    );
    assert_eq!(
        cmd("set server MySQL/Primary state off"),
        Command::SetServer {
            target: "MySQL/Primary".into(),
            change: Err("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n".into())
        }
    );
    assert_eq!(
        cmd("set server MySQL/Primary health stopping"),
        Command::SetServer {
            target: "MySQL/Primary".into(),
            change: Ok(ServerChange::Health(Health::Stopping))
        }
    );
    assert_eq!(
        cmd("set server MySQL/Primary weight 50%"),
        Command::SetServer {
            target: "MySQL/Primary".into(),
            change: Ok(ServerChange::Weight(WeightSpec::Percent(50)))
        }
    );
    assert!(matches!(
        cmd("set server MySQL/Primary frobnicate"),
        Command::SetServer { change: Err(e), .. } if e.starts_with("usage: set server")
    ));
    assert_eq!(
        cmd("shutdown sessions server MySQL/Primary"),
        Command::ShutdownSessionsServer("MySQL/Primary".into())
    );
    assert_eq!(
        cmd("shutdown session 0x1f"),
        Command::ShutdownSession(Some(31))
    );
    assert_eq!(cmd("shutdown session"), Command::ShutdownSession(None));
    assert_eq!(cmd("shutdown session zz"), Command::ShutdownSession(None));
    assert_eq!(
        cmd("clear counters all"),
        Command::ClearCounters { all: true }
    );
    assert_eq!(cmd("clear counters"), Command::ClearCounters { all: false });
    assert_eq!(
        cmd("show servers state MySQL"),
        Command::ShowServersState(Some("MySQL".into()))
    );
    assert_eq!(cmd("show sess"), Command::ShowSess(None));
    assert_eq!(
        cmd("show sess 12"),
        Command::ShowSess(Some(SessTarget::Id(12)))
    );
}

#[test]
fn weights() {
    assert_eq!(parse_weight("10"), Ok(WeightSpec::Absolute(10)));
    assert_eq!(parse_weight("0"), Ok(WeightSpec::Absolute(0)));
    assert_eq!(parse_weight("50%"), Ok(WeightSpec::Percent(50)));
    assert_eq!(parse_weight(""), Err("Require <weight> or <weight%>.\n"));
    assert_eq!(
        parse_weight("x"),
        Err("Empty weight string empty or preceded by garbage\n")
    );
    assert_eq!(
        parse_weight("257"),
        Err("Absolute weight can only be between 0 and 256 inclusive.\n")
    );
    assert_eq!(
        parse_weight("-1%"),
        Err("Relative weight must be positive.\n")
    );
    assert_eq!(
        parse_weight("3x"),
        Err("Trailing garbage in weight string\n")
    );
    assert_eq!(WeightSpec::Percent(50).resolve(10), 5);
    assert_eq!(WeightSpec::Percent(25_600).resolve(100), 256);
}

#[test]
fn timeouts() {
    assert_eq!(
        cmd("set timeout cli 60"),
        Command::SetTimeoutCli(Ok(Duration::from_secs(60)))
    );
    assert_eq!(
        cmd("set timeout cli 2m"),
        Command::SetTimeoutCli(Ok(Duration::from_secs(120)))
    );
    assert_eq!(
        cmd("set timeout cli"),
        Command::SetTimeoutCli(Err("Expects an integer value.\n"))
    );
    // Rounded up, like HAProxy.
    assert_eq!(
        cmd("set timeout cli 100ms"),
        Command::SetTimeoutCli(Ok(Duration::from_secs(1)))
    );
    assert_eq!(
        cmd("set timeout cli 0"),
        Command::SetTimeoutCli(Err("Invalid timeout value.\n"))
    );
    assert_eq!(
        cmd("set timeout cli 5q"),
        Command::SetTimeoutCli(Err("Invalid timeout value.\n"))
    );
    assert_eq!(
        cmd("set timeout cli x"),
        Command::SetTimeoutCli(Err("Invalid timeout value.\n"))
    );
    assert_eq!(
        cmd("set timeout server 1"),
        Command::SetTimeoutCli(Err("'set timeout' only supports 'cli'.\n"))
    );
}

#[test]
fn levels() {
    assert_eq!(cmd("show stat").required_level(), None);
    assert_eq!(cmd("get weight a/b").required_level(), None);
    assert_eq!(cmd("user").required_level(), None);
    assert_eq!(cmd("operator").required_level(), Some(Level::Operator));
    assert_eq!(cmd("show sess").required_level(), Some(Level::Operator));
    assert_eq!(
        cmd("clear counters").required_level(),
        Some(Level::Operator)
    );
    assert_eq!(
        cmd("clear counters all").required_level(),
        Some(Level::Admin)
    );
    assert_eq!(
        cmd("disable server a/b").required_level(),
        Some(Level::Admin)
    );
    assert_eq!(cmd("set weight a/b 1").required_level(), Some(Level::Admin));
}

#[test]
fn c_number_parsing() {
    assert_eq!(strtoul("0x10"), 16);
    assert_eq!(strtoul("010"), 8);
    assert_eq!(strtoul("12abc"), 12);
    assert_eq!(strtoul("abc"), 0);
    assert_eq!(atoi("-1"), -1);
    assert_eq!(atoi("x"), 0);
}

#[test]
fn targets() {
    assert_eq!(split_target("MySQL/Primary"), Some(("MySQL", "Primary")));
    assert_eq!(split_target("MySQL"), None);
    assert_eq!(split_target("MySQL/"), None);
    assert_eq!(split_target("/Primary"), None);
    assert_eq!(split_target("#1/#2"), Some(("#1", "#2")));
}
