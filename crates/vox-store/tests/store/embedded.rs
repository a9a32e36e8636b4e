//! The embedded store against a real file: visibility, expiry, restarts, concurrency, kill -9.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use vox_store::{AudioRecord, AudioStore, EmbeddedStore, Owner, new_audio_id};

const NOW: u64 = 1_800_000_000;

fn record(owner: &Owner, transcript: &str, expires_at: u64) -> AudioRecord {
    AudioRecord {
        id: new_audio_id(),
        owner: owner.clone(),
        transcript: transcript.into(),
        created: NOW,
        expires_at,
    }
}

#[tokio::test]
async fn only_the_creating_key_sees_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("audio.redb")).unwrap();
    let alice = Owner::from_api_key("alice");
    let bob = Owner::from_api_key("bob");
    let saved = record(&alice, "Golden retrievers are gentle.", NOW + 3600);
    store.insert(saved.clone()).await.unwrap();

    assert_eq!(
        store.get(&saved.id, &alice, NOW).await.unwrap(),
        Some(saved.clone())
    );
    assert_eq!(store.get(&saved.id, &bob, NOW).await.unwrap(), None);
    assert_eq!(
        store.get(&saved.id, &Owner::anonymous(), NOW).await.unwrap(),
        None
    );
    assert_eq!(store.get(&new_audio_id(), &alice, NOW).await.unwrap(), None);
}

#[tokio::test]
async fn expired_records_vanish_and_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("audio.redb")).unwrap();
    let owner = Owner::from_api_key("k");
    let old = record(&owner, "old", NOW - 1);
    let fresh = record(&owner, "fresh", NOW + 10);
    store.insert(old.clone()).await.unwrap();
    store.insert(fresh.clone()).await.unwrap();

    assert_eq!(store.get(&old.id, &owner, NOW).await.unwrap(), None);
    assert_eq!(store.purge_expired(NOW).await.unwrap(), 1);
    assert_eq!(store.purge_expired(NOW).await.unwrap(), 0);
    assert!(store.get(&fresh.id, &owner, NOW).await.unwrap().is_some());
    // Once its time comes, the fresh one goes too.
    assert_eq!(store.purge_expired(NOW + 10).await.unwrap(), 1);
    assert_eq!(store.get(&fresh.id, &owner, NOW - 5).await.unwrap(), None);
}

#[tokio::test]
async fn records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/audio.redb");
    let owner = Owner::from_api_key("k");
    let saved = record(&owner, "kept", NOW + 3600);
    {
        let store = EmbeddedStore::open(&path).unwrap();
        store.insert(saved.clone()).await.unwrap();
    }
    let reopened = EmbeddedStore::open(&path).unwrap();
    assert_eq!(reopened.get(&saved.id, &owner, NOW).await.unwrap(), Some(saved));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_and_readers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("audio.redb")).unwrap();
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let owner = Owner::from_api_key(&format!("key-{writer}"));
            let mut ids = Vec::new();
            for n in 0..25 {
                let saved = record(&owner, &format!("{writer}/{n}"), NOW + 60);
                store.insert(saved.clone()).await.unwrap();
                assert_eq!(
                    store.get(&saved.id, &owner, NOW).await.unwrap(),
                    Some(saved.clone())
                );
                ids.push(saved);
            }
            ids
        }));
    }
    for task in tasks {
        for saved in task.await.unwrap() {
            assert_eq!(
                store
                    .get(&saved.id, &saved.owner, NOW)
                    .await
                    .unwrap()
                    .unwrap()
                    .transcript,
                saved.transcript
            );
        }
    }
}

const CHILD_DIR: &str = "VOX_STORE_KILL_TEST_DIR";
const CHILD_OWNER: &str = "kill-test";

/// Run only as the child of `survives_kill_9`: writes records until it is killed, reporting
/// each committed id on stdout. Ignored because it never ends by itself.
#[tokio::test]
#[ignore = "child process of survives_kill_9"]
async fn kill_9_writer_child() {
    let dir = std::env::var(CHILD_DIR).expect("run by survives_kill_9");
    let store = EmbeddedStore::open(&std::path::Path::new(&dir).join("audio.redb")).unwrap();
    let owner = Owner::from_api_key(CHILD_OWNER);
    let mut out = std::io::stdout();
    for n in 0u64.. {
        let saved = AudioRecord {
            id: format!("audio_{n:032x}"),
            ..record(&owner, &format!("n{n}"), NOW + 60)
        };
        store.insert(saved).await.unwrap();
        writeln!(out, "committed {n}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "embedded::kill_9_writer_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut last_committed = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(n) = line.unwrap().strip_prefix("committed ") {
            let n: u64 = n.parse().unwrap();
            last_committed = Some(n);
            if n >= 200 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-write.
    child.wait().unwrap();
    let last = last_committed.expect("the child committed nothing");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = EmbeddedStore::open(&dir.path().join("audio.redb")).expect("store opens after kill -9");
    let owner = Owner::from_api_key(CHILD_OWNER);
    runtime.block_on(async {
        for n in 0..=last {
            let found = store.get(&format!("audio_{n:032x}"), &owner, NOW).await.unwrap();
            assert_eq!(
                found.map(|r| r.transcript),
                Some(format!("n{n}")),
                "record {n} lost"
            );
        }
    });
}

#[cfg(unix)]
#[test]
fn the_store_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("store");
    let file = folder.join("audio.redb");
    drop(EmbeddedStore::open(&file).unwrap());
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&file), 0o600);

    // A store an older Vox left world-readable is narrowed when it is opened again.
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(EmbeddedStore::open(&file).unwrap());
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&file), 0o600);
}
