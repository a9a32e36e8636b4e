//! The Redis store against a real `redis-server` (Debian's, installed by scripts/test) on a
//! free port: records by owner, expiry by Redis's TTL, an outage that fails fast and heals.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vox_store::{AudioRecord, AudioStore, Owner, RedisStore, StoreError, new_audio_id};

struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed by scripts/test (apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn record(owner: &Owner, ttl: u64) -> AudioRecord {
    AudioRecord {
        id: new_audio_id(),
        owner: owner.clone(),
        transcript: "A golden retriever is a good family dog.".into(),
        created: now(),
        expires_at: now() + ttl,
    }
}

#[tokio::test]
async fn records_are_kept_for_their_owner_until_redis_expires_them() {
    let redis = RedisServer::start(free_port());
    let store = RedisStore::open(&redis.url()).unwrap();
    let (alice, bob) = (Owner::from_api_key("sk-alice"), Owner::from_api_key("sk-bob"));
    let kept = record(&alice, 3600);
    store.insert(kept.clone()).await.unwrap();
    assert_eq!(
        store.get(&kept.id, &alice, now()).await.unwrap(),
        Some(kept.clone())
    );
    assert_eq!(store.get(&kept.id, &bob, now()).await.unwrap(), None);
    assert_eq!(store.get(&new_audio_id(), &alice, now()).await.unwrap(), None);

    let short = record(&alice, 1);
    store.insert(short.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(store.get(&short.id, &alice, now()).await.unwrap(), None);
    // A second store on the same Redis (another replica) reads what the first wrote.
    let replica = RedisStore::open(&redis.url()).unwrap();
    assert_eq!(replica.get(&kept.id, &alice, now()).await.unwrap(), Some(kept));
}

#[tokio::test]
async fn an_outage_fails_fast_and_the_store_heals_when_redis_returns() {
    let port = free_port();
    let redis = RedisServer::start(port);
    let store = RedisStore::open(&redis.url()).unwrap();
    let owner = Owner::anonymous();
    store.insert(record(&owner, 60)).await.unwrap();
    drop(redis);

    let started = Instant::now();
    let failed = store.get(&new_audio_id(), &owner, now()).await;
    assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let message = failed.unwrap_err().to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");

    // Right after a failure the store answers "unavailable" at once; a second later it
    // connects again by itself.
    let failed_fast = Instant::now();
    assert!(matches!(
        store.get(&new_audio_id(), &owner, now()).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(failed_fast.elapsed() < Duration::from_millis(100));
    let _back = RedisServer::start(port);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = record(&owner, 60);
    store.insert(again.clone()).await.unwrap();
    assert_eq!(store.get(&again.id, &owner, now()).await.unwrap(), Some(again));
}

#[tokio::test]
async fn a_store_opens_while_redis_is_down() {
    let store = RedisStore::open(&format!("redis://127.0.0.1:{}/0", free_port())).unwrap();
    let failed = store.insert(record(&Owner::anonymous(), 60)).await;
    assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
}
