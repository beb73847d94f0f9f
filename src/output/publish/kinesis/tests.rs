use super::*;

/// Each call's entries: the data, and whether it was accepted.
type Call = Vec<(Vec<u8>, bool)>;

/// Refuses every third entry of a call the first time it sees it; records every call.
#[derive(Default)]
struct Flaky {
    calls: Mutex<Vec<Call>>,
    refused_once: Mutex<std::collections::HashSet<Vec<u8>>>,
}

impl PutApi for Flaky {
    fn endpoint(&self) -> &str {
        "test"
    }

    fn put_records<'a>(
        &'a self,
        _stream: &'a StreamId,
        entries: &'a [OutRecord],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>, ApiError>> {
        async move {
            let mut refused = self.refused_once.lock().unwrap();
            let results: Vec<Option<String>> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    (i % 3 == 2 && refused.insert(e.data.clone()))
                        .then(|| "ProvisionedThroughputExceededException".to_string())
                })
                .collect();
            self.calls.lock().unwrap().push(
                entries
                    .iter()
                    .zip(&results)
                    .map(|(e, r)| (e.data.clone(), r.is_none()))
                    .collect(),
            );
            Ok(results)
        }
        .boxed()
    }

    fn open_shards<'a>(&'a self, _: &'a StreamId) -> BoxFuture<'a, Result<usize, ApiError>> {
        async { Ok(4) }.boxed()
    }
}

fn record(i: usize, heartbeat: bool) -> OutRecord {
    OutRecord {
        partition_key: format!("app{}", i % 7),
        explicit_hash_key: heartbeat.then_some(1),
        data: format!("{i}").into_bytes(),
    }
}

#[test]
fn refused_entries_are_put_again_within_limits_and_heartbeats_follow_their_records() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let api = Arc::new(Flaky::default());
    let mut t = KinesisTransport::start(api.clone(), "aggs", rt.handle());
    for i in 0..1200 {
        t.put(record(i, i == 700)).unwrap();
    }
    t.finish(Duration::from_secs(30)).unwrap();
    let calls = api.calls.lock().unwrap();
    assert!(calls
        .iter()
        .all(|c| !c.is_empty() && c.len() <= MAX_BATCH_RECORDS));
    let mut accepted = std::collections::HashSet::new();
    for call in calls.iter() {
        if call.iter().any(|(d, _)| d == b"700") {
            assert_eq!(call.len(), 1, "a heartbeat goes alone");
            for i in 0..700 {
                assert!(
                    accepted.contains(format!("{i}").as_bytes()),
                    "{i} before the heartbeat"
                );
            }
        }
        accepted.extend(call.iter().filter(|(_, ok)| *ok).map(|(d, _)| d.clone()));
    }
    assert_eq!(accepted.len(), 1200);
    let status = t.status().unwrap();
    assert_eq!(status.details[0].records, 1200);
    assert!(status.problem.is_none());
}
