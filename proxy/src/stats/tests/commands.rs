//! `show stat` rows through the seed walkthrough, admin commands and the other read commands.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_show_stat_rows_and_admin_cycle() {
    let f = Fixture::start("seed", true).await;
    let admin = f.path("admin.sock");
    f.check_all(CheckStatus::L7Ok);

    let stat = ask(&admin, "show stat\n").await;
    assert!(stat.ends_with("\n\n"), "reply ends with an empty line");
    assert_eq!(
        cut(&stat),
        [
            "pxname,svname,status,act,bck",
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Primary,UP,1,0",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP,1,1",
        ]
    );
    let header_commas = stat.lines().next().unwrap().matches(',').count();
    for line in stat.lines().filter(|l| !l.is_empty()) {
        assert_eq!(line.matches(',').count(), header_commas, "{line}");
        assert!(line.ends_with(','), "{line}");
    }
    assert_eq!(column(&stat, "Primary", "check_status"), "L7OK");
    assert_eq!(
        column(&stat, "Primary", "check_desc"),
        "Layer7 check passed"
    );
    assert_eq!(column(&stat, "Primary", "addr"), "127.0.0.1:9");
    assert_eq!(column(&stat, "BACKEND", "algo"), "roundrobin");

    // disable -> MAINT, with exactly "\n" as the reply.
    assert_eq!(ask(&admin, "disable server MySQL/Primary\n").await, "\n");
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(
        &cut(&stat)[2..],
        [
            "MySQL,Primary,MAINT,1,0",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP,0,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "");

    // enable -> UP 1/3 until the next check, then UP.
    assert_eq!(ask(&admin, "enable server MySQL/Primary\n").await, "\n");
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(cut(&stat)[2], "MySQL,Primary,UP 1/3,1,0");
    f.check_all(CheckStatus::L7Ok);
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(cut(&stat)[2], "MySQL,Primary,UP,1,0");
    assert_eq!(cut(&stat)[4], "MySQL,BACKEND,UP,1,1");

    // set server ... state drain / maint / ready.
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state drain\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,DRAIN,1,0"
    );
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state maint\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,MAINT,1,0"
    );
    assert_eq!(
        ask(&admin, "set server MySQL/Primary state ready\n").await,
        "\n"
    );
    assert_eq!(
        cut(&ask(&admin, "show stat\n").await)[2],
        "MySQL,Primary,UP 1/3,1,0"
    );

    // A failing check marks it DOWN; the backend counts follow.
    f.check_all(CheckStatus::L4Con);
    let stat = ask(&admin, "show stat\n").await;
    assert_eq!(
        &cut(&stat)[2..],
        [
            "MySQL,Primary,DOWN,1,0",
            "MySQL,Secondary,UP 2/3,0,1",
            "MySQL,BACKEND,UP,0,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "L4CON");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_without_checks_show_no_check() {
    let f = Fixture::start("nocheck", false).await;
    let stat = ask(&f.path("admin.sock"), "show stat\n").await;
    assert_eq!(
        cut(&stat),
        [
            "pxname,svname,status,act,bck",
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Primary,no check,1,0",
            "MySQL,Secondary,no check,0,1",
            "MySQL,BACKEND,UP,1,1",
        ]
    );
    assert_eq!(column(&stat, "Primary", "check_status"), "");
    assert_eq!(column(&stat, "Primary", "chkfail"), "");
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_readers() {
    let f = Fixture::start("readers", true).await;
    let admin = f.path("admin.sock");
    f.check_all(CheckStatus::L7Ok);
    let info = ask(&admin, "show info\n").await;
    let keys: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
        .collect();
    for k in [
        "Name",
        "Version",
        "Release_date",
        "Nbproc",
        "Process_num",
        "Pid",
        "Uptime",
        "Uptime_sec",
        "Maxconn",
        "CurrConns",
        "CumConns",
        "Maxpipes",
        "PipesUsed",
        "Tasks",
        "Run_queue",
        "node",
    ] {
        assert!(keys.contains(&k), "show info lacks {k}: {info}");
    }
    let pos = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert!(
        pos("Name") < pos("Version") && pos("Pid") < pos("Uptime") && pos("Tasks") < pos("node")
    );
    assert!(info.starts_with("Name: sockhop\nVersion: "));
    assert!(info.contains("\nNbproc: 1\nProcess_num: 1\n"));
    assert!(info.contains("\nnode: testnode\n"));
    assert!(info.contains("\nUptime: 0d 0h00m"));
    assert!(info.ends_with("\n\n"));

    let state = ask(&admin, "show servers state\n").await;
    let lines: Vec<&str> = state.lines().collect();
    assert_eq!(lines[0], "1");
    assert!(lines[1].starts_with("# be_id be_name srv_id srv_name srv_addr srv_op_state"));
    let primary: Vec<&str> = lines[2].split(' ').collect();
    assert_eq!(primary.len(), 25);
    assert_eq!(
        &primary[..9],
        [
            "1",
            "MySQL",
            "1",
            "Primary",
            "127.0.0.1",
            "2",
            "0",
            "1",
            "1"
        ]
    );
    assert_eq!(primary[10], "15"); // L7OK
    assert_eq!(primary[13], "6"); // configured | enabled
    assert_eq!(primary[18], "9");

    assert_eq!(ask(&admin, "show backend\n").await, "# name\nMySQL\n\n");
    assert_eq!(ask(&admin, "show sess\n").await, "\n");
    assert_eq!(
        ask(&admin, "shutdown session 0x99\n").await,
        "No such session (use 'show sess').\n\n"
    );
    assert_eq!(
        ask(&admin, "shutdown sessions server MySQL/Primary\n").await,
        "\n"
    );

    // Filters and formats.
    let only_servers = ask(&admin, "show stat MySQL 4 -1\n").await;
    assert_eq!(
        cut(&only_servers)[1..],
        ["MySQL,Primary,UP,1,0", "MySQL,Secondary,UP,0,1"]
    );
    let one = ask(&admin, "show stat 1 4 2\n").await;
    assert_eq!(cut(&one)[1..], ["MySQL,Secondary,UP,0,1"]);
    assert_eq!(
        ask(&admin, "show stat Nope 4 -1\n").await,
        "No such proxy.\n\n"
    );
    assert_eq!(ask(&admin, "disable server MySQL/Primary\n").await, "\n");
    let up = ask(&admin, "show stat up\n").await;
    assert_eq!(
        cut(&up)[1..],
        [
            "MySQL,FRONTEND,OPEN,,",
            "MySQL,Secondary,UP,0,1",
            "MySQL,BACKEND,UP (1/2),0,1"
        ]
    );
    let typed = ask(&admin, "show stat typed\n").await;
    assert!(typed.contains("\nS.1.1.17.status.1:SGP:str:MAINT\n"));
    assert!(typed.starts_with("F.1.0.0.pxname.1:KNS:str:MySQL\n"));
    let json = ask(&admin, "show stat json\n").await;
    assert!(json.starts_with("[[{\"objType\":\"Frontend\",\"proxyId\":1,\"id\":0,"));
    assert!(json.ends_with("}]]\n\n"));
    let info_json = ask(&admin, "show info json\n").await;
    assert!(info_json.starts_with("[{\"field\":{\"pos\":0,\"name\":\"Name\"},\"processNum\":1,\"tags\":{\"origin\":\"Product\",\"nature\":\"Output\",\"scope\":\"Service\"},\"value\":{\"type\":\"str\",\"value\":\"sockhop\"}}"));
    let info_typed = ask(&admin, "show info typed\n").await;
    assert!(info_typed.starts_with("0.Name.1:POS:str:sockhop\n1.Version.1:POS:str:"));
    f.stop().await;
}
