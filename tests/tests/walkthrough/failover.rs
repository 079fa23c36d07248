//! The Primary's mariadbd stops and comes back.

use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::per_datapath;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::world::{LISTEN, World};
use std::time::Duration;

per_datapath!(primary_down_fails_over_to_the_secondary_and_back);
fn primary_down_fails_over_to_the_secondary_and_back(path: DataPath) -> World {
    let net = TestNet::per_path(4, path);
    let mut w = World::start(&format!("failover-{path}"), net, Setup::on(path));
    w.traffic_goes_to(Role::Primary, 3);

    // Stop the Primary: DOWN within inter x fall (+ slack), BACKEND left with the backup.
    w.pair.stop(Role::Primary).unwrap_or_else(|e| panic!("{e}"));
    let bound = w.transition_bound(w.setup.fall);
    let took = w.wait_status(Role::Primary, "DOWN", bound);
    eprintln!("Primary marked DOWN {took:?} after its mariadbd exited (bound {bound:?})");
    let table = w.sockhop.show_stat();
    assert_eq!(
        table.seed_row(LISTEN, "BACKEND").as_deref(),
        Some("MySQL,BACKEND,UP,0,1"),
        "{}",
        table.csv
    );
    w.traffic_goes_to(Role::Secondary, 5);

    // Writes go on through the proxy, to the Secondary.
    let details = "written while the Primary was down";
    let id: u32 = w
        .via_proxy(&format!(
            "INSERT INTO important.stuff (details) VALUES ('{details}'); SELECT LAST_INSERT_ID();"
        ))
        .unwrap_or_else(|e| panic!("INSERT through sockhop failed: {e}"))
        .trim()
        .parse()
        .expect("an id");
    assert_eq!(
        id % 2,
        0,
        "id {id}: the Secondary's auto_increment_offset is 2"
    );

    // The Primary returns: UP, traffic back on it, and it has the row written meanwhile.
    w.pair
        .start_again(Role::Primary)
        .unwrap_or_else(|e| panic!("{e}"));
    let bound = w.transition_bound(w.setup.rise);
    let took = w.wait_status(Role::Primary, "UP", bound);
    eprintln!("Primary marked UP {took:?} after its mariadbd accepted connections");
    w.traffic_goes_to(Role::Primary, 5);
    w.wait_count(
        Role::Primary,
        &format!("SELECT COUNT(*) FROM important.stuff WHERE id = {id} AND details = '{details}'"),
        1,
        Duration::from_secs(10),
    );
    w
}
