//! `auto`: an application session of many queries settles on sockmap after its first few
//! messages (a MySQL login and a couple of queries on copy, the rest redirected in the
//! kernel), with every answer right and the session ending cleanly.

use sockhop_tests::datapath::{self, DataPath};
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::wait;
use sockhop_tests::world::World;
use std::time::Duration;

#[test]
fn a_session_of_many_queries_settles_on_sockmap() {
    datapath::run(
        "a_session_of_many_queries_settles_on_sockmap",
        DataPath::Auto,
        body,
    );
}

fn body(path: DataPath) -> World {
    let net = TestNet::per_path(9, path);
    let w = World::start(&format!("settle-{path}"), net, Setup::on(path));
    datapath::assert_selected(&w.sockhop, "MySQL", path);
    w.traffic_goes_to(Role::Primary, 1);
    // One client session: 20 statements after the login, each an answer the test can check.
    let sql: Vec<String> = (1..=20)
        .map(|i| format!("SELECT {i} * 1000 + @@server_id"))
        .collect();
    let out = w
        .via_proxy(&sql.join("; "))
        .unwrap_or_else(|e| panic!("the session through sockhop failed: {e}"));
    let got: Vec<&str> = out.lines().map(str::trim).collect();
    let want: Vec<String> = (1..=20)
        .map(|i| (i * 1000 + Role::Primary.server_id()).to_string())
        .collect();
    assert_eq!(got, want, "answers of the settled session");
    // The session moved to sockmap and ended there cleanly (debug line of sockmap.rs).
    wait::until(
        Duration::from_secs(5),
        "the settled session to end on sockmap",
        || {
            let log = w.sockhop.log();
            if log.contains("sockmap: session ended Done") {
                Ok(())
            } else {
                Err("no \"sockmap: session ended Done\" in sockhop's log".to_string())
            }
        },
    );
    let info = w.sockhop.command("show info");
    let settled: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("Datapath_settled_MySQL: "))
        .unwrap_or_else(|| panic!("`show info` has no Datapath_settled_MySQL:\n{info}"))
        .parse()
        .expect("a count");
    assert!(settled >= 1, "no session settled on sockmap:\n{info}");
    w
}
