//! Chaos: several devices sync at once through a proxy that refuses connections, cuts requests and swallows answers;
//! every interview ends up stored exactly once with the content its device hashed.
//!
//! Bounded: a fixed number of devices, interviews and passes; the proxy's choices come from a seed.

use canvass_app::SyncOutcome;

use crate::both_backends;
use crate::sync_harness::{Backend, Device, Proxy, ProxyMode, TestServer};

const DEVICES: usize = 4;
const INTERVIEWS: usize = 5;
const CHAOS_PASSES: usize = 12;

async fn every_interview_is_stored_once_with_identical_content(b: Backend, name: &str) {
    let server = TestServer::start(b, name).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    let proxy = Proxy::start(server.addr, 0x5eed).await;
    let mut devices = Vec::new();
    for _ in 0..DEVICES {
        let d = Device::new();
        d.complete(INTERVIEWS);
        d.login(&server.url, "ines").await;
        // Sign-in went direct; from now on everything goes through the proxy.
        crate::support::raw(&d.db.path)
            .execute("UPDATE sync_settings SET server_url = ?1", [&proxy.url])
            .unwrap();
        devices.push(std::sync::Arc::new(d));
    }

    // Small batches, so a pass can get part of the way before the network fails it.
    let limits = canvass_sync::Limits {
        max_items: 2,
        max_bytes: 1 << 20,
    };
    proxy.set(ProxyMode::Random);
    let mut failed = 0;
    for _ in 0..CHAOS_PASSES {
        // All devices at once, so the server runs their batch transactions concurrently.
        let mut passes = tokio::task::JoinSet::new();
        for d in &devices {
            let d = d.clone();
            passes.spawn(async move {
                d.wait_out_backoff();
                d.sync_with(limits).await.outcome
            });
        }
        while let Some(outcome) = passes.join_next().await {
            if outcome.unwrap() != SyncOutcome::Ok {
                failed += 1;
            }
        }
    }
    assert!(failed > 0, "the proxy should have broken some passes");
    assert!(
        proxy.connections.load(std::sync::atomic::Ordering::SeqCst)
            >= (DEVICES * CHAOS_PASSES) as u64
    );

    // The network heals: one more pass each delivers whatever is left.
    proxy.set(ProxyMode::Pass);
    for d in &devices {
        d.wait_out_backoff();
        let s = d.sync_with(limits).await;
        assert!(
            matches!(s.outcome, SyncOutcome::Ok | SyncOutcome::NothingToDo),
            "{s:?}"
        );
        assert_eq!((s.conflict, s.invalid), (0, 0), "{s:?}");
    }
    let stored = server.interviews().await;
    assert_eq!(
        stored.len(),
        DEVICES * INTERVIEWS,
        "each interview exactly once"
    );
    for d in &devices {
        for e in d.app.outbox().unwrap() {
            assert_eq!(e.state, "acked", "{e:?}");
            let s = stored.iter().find(|s| s.id == e.id).unwrap();
            assert_eq!((&s.payload, &s.payload_hash), (&e.payload, &e.payload_hash));
        }
    }
}
both_backends!(chaos, every_interview_is_stored_once_with_identical_content);
