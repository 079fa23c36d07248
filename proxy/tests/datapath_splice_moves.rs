//! splice's copy phase: a session starts on the copy path and moves to the ring once a
//! read fills a whole buffer (`Datapath_moved_<listen>` counts it).
//!
//! Under `CI=true` a splice path that cannot be used here is a failure; elsewhere the test
//! prints why and skips.

mod common;
mod uring_pair;

use sockhop::config::DataPathChoice;
use sockhop::datapath::End;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uring_pair::{MB, both_ways, exchange, path, proxied, recv, send, within};

/// splice starts each session on copy and moves it to the ring once a read fills a whole
/// buffer: small request/response sessions stay on copy, bulk ones move (also after small
/// traffic, and in either direction), and a half-closed session stays on copy. Byte-exact
/// throughout, and `datapath_moves` counts exactly the sessions that moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splice_moves_bulk_sessions_and_keeps_small_ones_on_copy() {
    let Some(path) = path(DataPathChoice::Splice) else {
        return;
    };
    // 100 ping-pongs of 64 bytes, then a clean close: stays on copy.
    let mut p = proxied(&path).await;
    within(30, async {
        for i in 0..100u8 {
            p.client.write_all(&[i; 64]).await.unwrap();
            let mut got = [0u8; 64];
            p.server.read_exact(&mut got).await.unwrap();
            p.server.write_all(&got).await.unwrap();
            p.client.read_exact(&mut got).await.unwrap();
            assert_eq!(got, [i; 64]);
        }
    })
    .await;
    within(30, async {
        p.client.shutdown().await.unwrap();
        assert_eq!(p.server.read(&mut [0u8; 1]).await.unwrap(), 0);
        p.server.shutdown().await.unwrap();
        assert_eq!(p.client.read(&mut [0u8; 1]).await.unwrap(), 0);
    })
    .await;
    let t = p.forward.await.unwrap();
    assert_eq!(
        (t.client_to_server, t.server_to_client, t.end),
        (6400, 6400, End::Done)
    );
    assert_eq!(p.listen.datapath_moves(), 0, "ping-pong moved to splice");
    assert_eq!(
        p.rt.spliced_out(),
        0,
        "TotalSplicdedBytesOut of a copy session"
    );

    // Bulk both ways at once, from the first byte: moves.
    let p = proxied(&path).await;
    let listen = p.listen.clone();
    within(60, exchange(p, 8 * MB + 5, 3 * MB, 0xB0B)).await;
    assert_eq!(listen.datapath_moves(), 1, "bulk both ways");

    // A query, then a bulk answer while the client's side stays open (a download): moves.
    let mut p = proxied(&path).await;
    let listen = p.listen.clone();
    let rt = p.rt.clone();
    within(60, async {
        p.client.write_all(b"query").await.unwrap();
        let mut q = [0u8; 5];
        p.server.read_exact(&mut q).await.unwrap();
        send(&mut p.server, 0xD0, 8 * MB).await.unwrap();
        assert_eq!(recv(&mut p.client, 0xD0).await.unwrap(), 8 * MB);
        p.client.shutdown().await.unwrap();
        assert_eq!(p.server.read(&mut [0u8; 1]).await.unwrap(), 0);
        let t = p.forward.await.unwrap();
        assert_eq!(
            (t.client_to_server, t.server_to_client, t.end),
            (5, 8 * MB, End::Done)
        );
    })
    .await;
    assert_eq!(listen.datapath_moves(), 1, "download");
    // All but the first reads (copied until one filled 64 KiB) went through a pipe, and
    // never more than the answer.
    let spliced = rt.spliced_out();
    assert!(
        (7 * MB..=8 * MB).contains(&spliced),
        "TotalSplicdedBytesOut {spliced} for an 8 MiB download"
    );

    // Small traffic first, then bulk: moves mid-stream, nothing lost or reordered.
    let mut p = proxied(&path).await;
    within(30, async {
        p.server.write_all(b"greeting").await.unwrap();
        let mut g = [0u8; 8];
        p.client.read_exact(&mut g).await.unwrap();
        assert_eq!(&g, b"greeting");
    })
    .await;
    let listen = p.listen.clone();
    within(60, async {
        let (up, down) = (4 * MB + 1, 2 * MB + 7);
        both_ways(&mut p.client, &mut p.server, up, down, 0xB01C).await;
        let t = p.forward.await.unwrap();
        assert_eq!(
            (t.client_to_server, t.server_to_client, t.end),
            (up, down + 8, End::Done)
        );
    })
    .await;
    assert_eq!(listen.datapath_moves(), 1, "small then bulk");

    // The client half-closes first, then the server sends bulk: stays on copy.
    let mut p = proxied(&path).await;
    let listen = p.listen.clone();
    within(60, async {
        p.client.write_all(b"query").await.unwrap();
        p.client.shutdown().await.unwrap();
        let mut q = Vec::new();
        p.server.read_to_end(&mut q).await.unwrap();
        assert_eq!(q, b"query");
        send(&mut p.server, 0x5EED, 8 * MB).await.unwrap();
        assert_eq!(recv(&mut p.client, 0x5EED).await.unwrap(), 8 * MB);
        let t = p.forward.await.unwrap();
        assert_eq!(
            (t.client_to_server, t.server_to_client, t.end),
            (5, 8 * MB, End::Done)
        );
    })
    .await;
    assert_eq!(listen.datapath_moves(), 0, "half-closed session moved");
}
