//! `source`: sockhop connects to the servers from a chosen local address, and the
//! application's session, carried by the data path, is seen by MariaDB as coming from it.

use sockhop_tests::datapath::DataPath;
use sockhop_tests::mariadb::Role;
use sockhop_tests::net::TestNet;
use sockhop_tests::per_datapath;
use sockhop_tests::sockhop::Setup;
use sockhop_tests::world::World;

per_datapath!(the_application_reaches_the_primary_from_the_source_address);
fn the_application_reaches_the_primary_from_the_source_address(path: DataPath) -> World {
    let net = TestNet::per_path(8, path);
    let setup = Setup {
        use_source: true,
        ..Setup::on(path)
    };
    let w = World::start(&format!("source-{path}"), net, setup);
    w.traffic_goes_to(Role::Primary, 3);
    let user = w
        .via_proxy("SELECT USER()")
        .unwrap_or_else(|e| panic!("the application cannot connect through sockhop: {e}"));
    assert_eq!(user.trim(), format!("application@{}", net.source()));
    w
}
