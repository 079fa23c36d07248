//! The operator's commands on the stats socket: disable and enable a server.

use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::per_datapath;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::stats;
use sockhop_tests::world::{LISTEN, World};
use std::time::Duration;

per_datapath!(disable_sends_traffic_to_the_backup_and_enable_brings_it_back);
fn disable_sends_traffic_to_the_backup_and_enable_brings_it_back(path: DataPath) -> World {
    let net = TestNet::per_path(5, path);
    let w = World::start(&format!("admin-{path}"), net, Setup::on(path));
    let socket = w.sockhop.stats_socket();
    w.traffic_goes_to(Role::Primary, 3);

    // A successful admin command answers with just the empty line.
    let reply = stats::socat(socket, "disable server MySQL/Primary").unwrap();
    assert_eq!(reply, "\n", "reply to disable server");
    w.wait_status(Role::Primary, "MAINT", Duration::from_secs(2));
    let table = w.sockhop.show_stat();
    assert_eq!(
        table.seed_row(LISTEN, "BACKEND").as_deref(),
        Some("MySQL,BACKEND,UP,0,1"),
        "{}",
        table.csv
    );
    w.traffic_goes_to(Role::Secondary, 5);

    let reply = stats::socat(socket, "enable server MySQL/Primary").unwrap();
    assert_eq!(reply, "\n", "reply to enable server");
    w.wait_status(Role::Primary, "UP", w.transition_bound(w.setup.rise));
    w.traffic_goes_to(Role::Primary, 5);
    w
}
