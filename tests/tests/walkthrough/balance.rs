//! Where connections go while both servers are healthy.

use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::per_datapath;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::stats::{self, StatTable};
use sockhop_tests::world::World;

per_datapath!(two_active_servers_take_turns);
fn two_active_servers_take_turns(path: DataPath) -> World {
    let setup = Setup {
        secondary_backup: false,
        ..Setup::on(path)
    };
    let net = TestNet::per_path(2, path);
    let w = World::start(&format!("roundrobin-{path}"), net, setup);
    let ids = w.server_ids(8);
    assert!(
        ids.windows(2).all(|p| p[0] != p[1]),
        "successive connections must alternate between 10 and 20, got {ids:?}"
    );
    assert!(ids.iter().all(|id| [10, 20].contains(id)), "{ids:?}");
    w
}

per_datapath!(backup_config_shows_the_seed_rows_and_sends_everything_to_the_primary);
fn backup_config_shows_the_seed_rows_and_sends_everything_to_the_primary(path: DataPath) -> World {
    let net = TestNet::per_path(3, path);
    let w = World::start(&format!("backup-{path}"), net, Setup::on(path));
    let expected = [
        "# pxname,svname,status,act,bck",
        "MySQL,FRONTEND,OPEN,,",
        "MySQL,Primary,UP,1,0",
        "MySQL,Secondary,UP,0,1",
        "MySQL,BACKEND,UP,1,1",
    ];

    // Exactly what the operator sees with the seed's shell pipeline...
    let shell = stats::seed_pipeline(w.sockhop.stats_socket()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shell.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        expected,
        "seed pipeline output:\n{shell}"
    );
    // ...and the same through a raw socket and through socat, reply framed by an empty line.
    let raw = w.sockhop.command("show stat");
    assert!(
        raw.ends_with("\n\n"),
        "reply must end with an empty line: {raw:?}"
    );
    assert_eq!(stats::seed_cut(&raw), expected);
    let via_socat = stats::socat(w.sockhop.stats_socket(), "show stat").unwrap();
    assert_eq!(stats::seed_cut(&via_socat), expected);
    StatTable::parse(&raw).unwrap_or_else(|e| panic!("{e}"));

    let ids = w.server_ids(10);
    assert!(
        ids.iter().all(|&id| id == Role::Primary.server_id()),
        "every connection must reach the Primary (10), got {ids:?}"
    );
    w
}
