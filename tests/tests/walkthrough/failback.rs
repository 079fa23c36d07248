//! `failback = "manual"`: after a failover, traffic stays on the Secondary until the
//! operator says the Primary is ready (master-master: writes never land on both).

use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::per_datapath;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::stats;
use sockhop_tests::wait;
use sockhop_tests::world::{LISTEN, World};
use std::time::Duration;

per_datapath!(manual_failback_waits_for_set_server_state_ready);
fn manual_failback_waits_for_set_server_state_ready(path: DataPath) -> World {
    let setup = Setup {
        manual_failback: true,
        ..Setup::on(path)
    };
    let net = TestNet::per_path(6, path);
    let mut w = World::start(&format!("failback-{path}"), net, setup);
    w.traffic_goes_to(Role::Primary, 3);

    w.pair.stop(Role::Primary).unwrap_or_else(|e| panic!("{e}"));
    w.wait_status(Role::Primary, "DOWN", w.transition_bound(w.setup.fall));
    w.traffic_goes_to(Role::Secondary, 3);

    // The Primary comes back and passes its checks again: more than `rise` check logins
    // on it and a passing last check. With automatic failback traffic would be back.
    w.pair
        .start_again(Role::Primary)
        .unwrap_or_else(|e| panic!("{e}"));
    let primary = w.pair.primary();
    let base = primary.global_status("Connections").unwrap();
    let rise = u64::from(w.setup.rise);
    wait::until(
        w.transition_bound(w.setup.rise + 1),
        "the returned Primary to pass rise+1 checks",
        || {
            let logins = primary
                .global_status("Connections")
                .map_err(|e| e.to_string())?
                - base;
            let table = w.sockhop.show_stat();
            let check = table.field(LISTEN, "Primary", "check_status").unwrap_or("");
            if logins > rise && check == "L7OK" {
                Ok(())
            } else {
                Err(format!("{logins} logins, check_status {check:?}"))
            }
        },
    );
    let ids = w.server_ids(10);
    assert!(
        ids.iter().all(|&id| id == Role::Secondary.server_id()),
        "with failback = \"manual\" traffic must stay on the Secondary, got {ids:?}"
    );

    let reply = stats::raw(
        w.sockhop.stats_socket(),
        "set server MySQL/Primary state ready",
    )
    .unwrap();
    assert_eq!(reply, "\n", "reply to set server state ready");
    w.wait_status(Role::Primary, "UP", Duration::from_secs(2));
    w.traffic_goes_to(Role::Primary, 5);
    w
}
