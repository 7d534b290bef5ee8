//! The pure batch planner and the backoff schedule: decisions without I/O, table-tested.
//!
//! [`plan`] orders due rows by `(created_at, id)` and cuts them into batches
//! bounded by item count and estimated request bytes, so the same outbox
//! always gives the same batches. [`backoff_ms`] spaces out retries
//! exponentially with jitter drawn from an injected seed, so a fleet of
//! devices coming back online does not hammer the server in step, and tests
//! still see exact numbers.

use canvass_store::OutboxEntry;

/// Bounds of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most items in one batch.
    pub max_items: usize,
    /// Most estimated request bytes (before gzip) in one batch; a single larger item still gets a batch of its own.
    pub max_bytes: usize,
}

impl Default for Limits {
    /// 2 MB batches: large enough to amortise a round trip, small enough to finish on a poor link (performance.md 4.5).
    fn default() -> Limits {
        Limits {
            max_items: 500,
            max_bytes: 2_000_000,
        }
    }
}

/// A planned batch: rows in send order and their estimated bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub items: Vec<OutboxEntry>,
    pub bytes: usize,
}

/// JSON framing around one item: braces, keys, quotes and commas.
const ITEM_OVERHEAD: usize = 64;

/// Estimated bytes an entry adds to a request body.
pub fn item_bytes(e: &OutboxEntry) -> usize {
    e.payload.len() + e.id.len() + e.kind.len() + e.payload_hash.len() + ITEM_OVERHEAD
}

/// Cuts due rows into batches, oldest first; deterministic for a given input set.
pub fn plan(due: &[OutboxEntry], limits: Limits) -> Vec<Batch> {
    let mut rows: Vec<&OutboxEntry> = due.iter().collect();
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let max_items = limits.max_items.max(1);
    let mut out: Vec<Batch> = Vec::new();
    let mut cur = Batch {
        items: Vec::new(),
        bytes: 0,
    };
    for r in rows {
        let size = item_bytes(r);
        let full = cur.items.len() >= max_items || cur.bytes + size > limits.max_bytes;
        if full && !cur.items.is_empty() {
            out.push(std::mem::replace(
                &mut cur,
                Batch {
                    items: Vec::new(),
                    bytes: 0,
                },
            ));
        }
        cur.bytes += size;
        cur.items.push(r.clone());
    }
    if !cur.items.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits a batch the server found too large into two halves; `None` for a single item.
pub fn split(batch: Batch) -> Option<(Batch, Batch)> {
    if batch.items.len() < 2 {
        return None;
    }
    let mut first = batch.items;
    let second = first.split_off(first.len() / 2);
    let bytes = |v: &Vec<OutboxEntry>| v.iter().map(item_bytes).sum();
    Some((
        Batch {
            bytes: bytes(&first),
            items: first,
        },
        Batch {
            bytes: bytes(&second),
            items: second,
        },
    ))
}

/// First retry delay.
const BASE_MS: i64 = 5_000;
/// Longest delay between two attempts.
const CAP_MS: i64 = 60 * 60 * 1000;

/// Delay before attempt `attempts + 1` of row `id`, with "equal jitter": half fixed, half random.
///
/// `attempts` counts failures so far (1 after the first). The random half comes
/// from `seed` and the row id, so rows of one batch spread out and tests are exact.
pub fn backoff_ms(attempts: i64, seed: u64, id: &str) -> i64 {
    let exp = attempts.clamp(1, 30) - 1;
    let ceiling = BASE_MS.saturating_mul(1i64 << exp).min(CAP_MS);
    let half = ceiling / 2;
    let r = splitmix64(seed ^ fnv1a(id.as_bytes()));
    // `half + 1` is positive, so the remainder is in 0..=half and the cast back is exact.
    half + (r % (half as u64 + 1)) as i64
}

/// FNV-1a: a tiny stable hash, so the jitter never depends on Rust's randomised hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// SplitMix64: one well-mixed pseudo-random number from a seed.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, created_at: i64, payload_len: usize) -> OutboxEntry {
        OutboxEntry {
            id: id.into(),
            kind: "interview".into(),
            payload: "x".repeat(payload_len),
            payload_hash: "h".repeat(64),
            created_at,
            state: "pending".into(),
            attempts: 0,
            last_error: None,
            next_attempt_at: None,
        }
    }

    fn ids(batches: &[Batch]) -> Vec<Vec<&str>> {
        batches
            .iter()
            .map(|b| b.items.iter().map(|i| i.id.as_str()).collect())
            .collect()
    }

    /// One planner case: situation, due rows, limits, expected batches of ids.
    type Case = (
        &'static str,
        Vec<OutboxEntry>,
        Limits,
        Vec<Vec<&'static str>>,
    );

    #[test]
    fn plan_cases() {
        let per = |n: usize| n + 1 + 9 + 64 + ITEM_OVERHEAD; // bytes of a row with a one-letter id
        let cases: Vec<Case> = vec![
            ("nothing_due", vec![], Limits::default(), vec![]),
            (
                "oldest_first_then_id",
                vec![row("c", 2, 1), row("b", 1, 1), row("a", 2, 1)],
                Limits::default(),
                vec![vec!["b", "a", "c"]],
            ),
            (
                "count_bound",
                vec![row("a", 1, 1), row("b", 2, 1), row("c", 3, 1)],
                Limits {
                    max_items: 2,
                    max_bytes: 1 << 20,
                },
                vec![vec!["a", "b"], vec!["c"]],
            ),
            (
                "byte_bound",
                vec![row("a", 1, 100), row("b", 2, 100), row("c", 3, 100)],
                Limits {
                    max_items: 10,
                    max_bytes: per(100) * 2,
                },
                vec![vec!["a", "b"], vec!["c"]],
            ),
            (
                "oversized_item_travels_alone",
                vec![row("a", 1, 10), row("b", 2, 5000), row("c", 3, 10)],
                Limits {
                    max_items: 10,
                    max_bytes: 1000,
                },
                vec![vec!["a"], vec!["b"], vec!["c"]],
            ),
        ];
        for (name, rows, limits, want) in cases {
            let got = plan(&rows, limits);
            assert_eq!(ids(&got), want, "case {name}");
            for b in &got {
                assert_eq!(
                    b.bytes,
                    b.items.iter().map(item_bytes).sum::<usize>(),
                    "case {name}"
                );
            }
        }
    }

    #[test]
    fn splitting_halves_a_batch_and_stops_at_one_item() {
        let b = plan(
            &[row("a", 1, 1), row("b", 2, 1), row("c", 3, 1)],
            Limits::default(),
        )
        .remove(0);
        let (x, y) = split(b).unwrap();
        assert_eq!(ids(&[x.clone(), y]), vec![vec!["a"], vec!["b", "c"]]);
        assert!(split(x).is_none());
    }

    #[test]
    fn backoff_grows_is_capped_and_depends_only_on_its_inputs() {
        for attempts in 1..40 {
            let ceiling = (BASE_MS << (attempts.min(30) - 1).min(20)).min(CAP_MS);
            let d = backoff_ms(attempts, 7, "row");
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "attempt {attempts}: {d} not in [{}, {ceiling}]",
                ceiling / 2
            );
            assert_eq!(d, backoff_ms(attempts, 7, "row"));
        }
        // Different rows of one failed batch come back at different times.
        assert_ne!(backoff_ms(3, 7, "row-1"), backoff_ms(3, 7, "row-2"));
    }
}
