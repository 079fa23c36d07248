//! The data-path probe behind the per-path tests' skip (or failure under CI): it must tell
//! a path sockhop refuses from one it uses, or an unavailable path would pass unnoticed.

use sockhop_tests::datapath::{self, DataPath};
use sockhop_tests::net;
use sockhop_tests::require_prerequisites;

#[test]
fn the_probe_reports_a_refused_path_with_sockhop_s_reason() {
    require_prerequisites!("the_probe_reports_a_refused_path_with_sockhop_s_reason");
    let refused = datapath::probe("no-such-path", net::probe_bind_at(5))
        .expect_err("sockhop accepted --datapath no-such-path");
    assert!(
        refused.contains("invalid --datapath 'no-such-path'"),
        "the reason should be sockhop's own message: {refused}"
    );
    assert_eq!(
        datapath::unavailable(DataPath::Copy),
        None,
        "copy is always available"
    );
}
