//! The metadata file changes while kinetop runs: the table follows within a refresh period, a
//! broken file keeps the last good table and shows the error, a fixed file clears it.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kinetop::enrich::metadata::{self, Clock, LocalFileFetcher, MetadataFetcher};
use kinetop::enrich::{AppId, MetadataTable, SharedTable};
use kinetop::pipeline::snapshot::MetadataStatus;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const PERIOD: Duration = Duration::from_millis(50);
/// Generous: the machine running the tests may be busy.
const WAIT: Duration = Duration::from_secs(10);

fn app(table: &MetadataTable, client: &str) -> String {
    table.name(table.lookup(client)).to_string()
}

/// Waits until the published status satisfies `done`.
async fn wait_for(
    status: &mut watch::Receiver<MetadataStatus>,
    what: &str,
    done: impl Fn(&MetadataStatus) -> bool,
) -> MetadataStatus {
    let result = tokio::time::timeout(WAIT, status.wait_for(|s| done(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match result {
        Ok(Ok(s)) => s,
        _ => panic!(
            "timed out waiting for {what}; status: {:?}",
            status.borrow().error
        ),
    }
}

/// Writes through a temporary file and a rename, as editors and deploy tools do.
fn replace_file(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test]
async fn a_changed_broken_and_fixed_file_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.csv");
    std::fs::write(&path, "host,application\n10.0.0.0/8,corp\n").unwrap();

    // A clock the test controls: each reading is visible in the status.
    let now = Arc::new(AtomicI64::new(1_000));
    let clock: Clock = {
        let now = now.clone();
        Arc::new(move || now.load(Ordering::SeqCst))
    };
    let fetcher: Arc<dyn MetadataFetcher> = Arc::new(LocalFileFetcher::new(&path));
    let loaded = metadata::load(&*fetcher, &clock).await.unwrap();
    let shared = SharedTable::new(MetadataTable::empty());
    let cancel = CancellationToken::new();
    let (mut status, task) = metadata::spawn_refresh(
        fetcher,
        loaded,
        shared.clone(),
        PERIOD,
        clock,
        cancel.clone(),
    );

    {
        let first = status.borrow().clone();
        assert_eq!(
            first.origin.as_deref(),
            Some(path.display().to_string().as_str())
        );
        assert_eq!(first.loaded_at, Some(1_000));
        assert_eq!(first.changed_at, Some(1_000));
        assert_eq!(first.error, None);
        assert_eq!(app(&shared.current(), "10.1.2.3"), "corp");
    }

    // Changed: the new mapping is used within a period or so.
    now.store(2_000, Ordering::SeqCst);
    replace_file(
        &path,
        "host,application\n10.0.0.0/8,corp\n10.1.0.0/16,checkout\n",
    );
    let s = wait_for(&mut status, "the new table", |s| {
        s.changed_at == Some(2_000)
    })
    .await;
    assert_eq!(s.loaded_at, Some(2_000));
    assert_eq!(s.error, None);
    assert_eq!(app(&s.table, "10.1.2.3"), "checkout");
    assert_eq!(app(&shared.current(), "10.1.2.3"), "checkout");
    assert_eq!(app(&shared.current(), "10.2.0.1"), "corp");

    // Broken: the error shows, naming file and line; the last good table stays.
    now.store(3_000, Ordering::SeqCst);
    replace_file(
        &path,
        "host,application\n10.0.0.0/8,corp\n10.9.0.0/99,oops\n",
    );
    let s = wait_for(&mut status, "the error", |s| s.error.is_some()).await;
    let error = s.error.clone().unwrap();
    assert!(
        error.starts_with(&format!("{}:3: ", path.display())),
        "{error}"
    );
    assert_eq!(s.changed_at, Some(2_000));
    assert_eq!(app(&s.table, "10.1.2.3"), "checkout");
    assert_eq!(app(&shared.current(), "10.1.2.3"), "checkout");

    // Gone: a different error, still the same table.
    std::fs::remove_file(&path).unwrap();
    let s = wait_for(&mut status, "the missing-file error", |s| {
        s.error.as_deref().is_some_and(|e| !e.contains(":3:"))
    })
    .await;
    assert_eq!(app(&s.table, "10.1.2.3"), "checkout");

    // Fixed: the error clears and the fixed content is in use.
    now.store(4_000, Ordering::SeqCst);
    replace_file(
        &path,
        "host,application\n10.0.0.0/8,corp\n10.9.0.0/16,search\n",
    );
    let s = wait_for(&mut status, "the fixed table", |s| s.error.is_none()).await;
    assert_eq!(s.changed_at, Some(4_000));
    assert_eq!(app(&shared.current(), "10.9.1.1"), "search");
    assert_eq!(app(&shared.current(), "10.1.2.3"), "corp");

    cancel.cancel();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn same_content_under_a_new_version_is_not_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.csv");
    let content = "host,application\nweb01.example.com,shop\n";
    std::fs::write(&path, content).unwrap();
    let clock: Clock = Arc::new(|| 10);
    let fetcher: Arc<dyn MetadataFetcher> = Arc::new(LocalFileFetcher::new(&path));
    let loaded = metadata::load(&*fetcher, &clock).await.unwrap();
    let shared = SharedTable::new(MetadataTable::empty());
    let (mut refresher, status) =
        metadata::MetadataRefresher::new(fetcher, loaded, shared.clone(), clock);
    let before = shared.current();
    assert_eq!(
        refresher.refresh_once().await,
        metadata::RefreshOutcome::Unchanged
    );

    std::thread::sleep(Duration::from_millis(20));
    replace_file(&path, content);
    assert_eq!(
        refresher.refresh_once().await,
        metadata::RefreshOutcome::Unchanged
    );
    assert!(
        Arc::ptr_eq(&before, &shared.current()),
        "the table was not rebuilt"
    );
    assert_ne!(shared.current().lookup("WEB01.example.com"), AppId::UNKNOWN);
    assert_eq!(status.borrow().changed_at, Some(10));

    // A broken version is reported once and not re-parsed until it changes again.
    replace_file(&path, "host\nx\n");
    assert!(matches!(
        refresher.refresh_once().await,
        metadata::RefreshOutcome::Failed(e) if e.contains("no `application` column")
    ));
    assert_eq!(
        refresher.refresh_once().await,
        metadata::RefreshOutcome::Unchanged
    );
    assert!(
        refresher.status().error.is_some(),
        "the error stays until the file is fixed"
    );
    assert!(Arc::ptr_eq(&before, &shared.current()));
}

#[tokio::test]
async fn a_local_file_is_reread_as_soon_as_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.csv");
    std::fs::write(&path, "host,application\n10.0.0.0/8,corp\n").unwrap();
    let clock: Clock = Arc::new(|| 7);
    let fetcher: Arc<dyn MetadataFetcher> = Arc::new(LocalFileFetcher::new(&path));
    let loaded = metadata::load(&*fetcher, &clock).await.unwrap();
    let shared = SharedTable::new(MetadataTable::empty());
    let cancel = CancellationToken::new();
    // A period far longer than the test: only the file-system hint can trigger the reload.
    let (mut status, task) = metadata::spawn_refresh(
        fetcher,
        loaded,
        shared.clone(),
        Duration::from_secs(3600),
        clock,
        cancel.clone(),
    );
    replace_file(&path, "host,application\n10.0.0.0/8,intranet\n");
    let s = wait_for(&mut status, "the reload on change", |s| {
        s.table.name(s.table.lookup("10.1.1.1")).as_ref() == "intranet"
    })
    .await;
    assert_eq!(s.error, None);
    assert_eq!(app(&shared.current(), "10.1.1.1"), "intranet");
    cancel.cancel();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
}
