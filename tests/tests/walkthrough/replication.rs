//! The pair itself: a row inserted on either server reaches the other.
//!
//! Runs once, not per data path: no proxy is involved (the rows go straight to each server).

use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::{require_prerequisites, world};
use std::time::Duration;

const NET: TestNet = TestNet::new(101);

#[test]
fn a_row_inserted_on_each_server_replicates_to_the_other() {
    require_prerequisites!("replication");
    let pair = world::pair("replication", NET, |o| o);
    for role in Role::BOTH {
        let details = format!("written on the {role}");
        let id: u32 = pair
            .instance(role)
            .app_sql(&format!(
                "INSERT INTO important.stuff (details) VALUES ('{details}'); SELECT LAST_INSERT_ID();"
            ))
            .unwrap_or_else(|e| panic!("{e}"))
            .trim()
            .parse()
            .expect("an id");
        // auto_increment_offset 1 on the Primary and 2 on the Secondary, increment 2.
        let expected_parity = if role == Role::Primary { 1 } else { 0 };
        assert_eq!(id % 2, expected_parity, "id {id} inserted on the {role}");
        let query = format!(
            "SELECT COUNT(*) FROM important.stuff WHERE id = {id} AND details = '{details}'"
        );
        for on in Role::BOTH {
            world::wait_count(pair.instance(on), &query, 1, Duration::from_secs(10));
        }
    }
    let count = "SELECT COUNT(*) FROM important.stuff";
    world::wait_count(pair.primary(), count, 2, Duration::from_secs(1));
    world::wait_count(pair.secondary(), count, 2, Duration::from_secs(1));
}
