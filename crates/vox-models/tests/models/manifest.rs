//! The shipped manifest and the rules every manifest must follow.

use vox_models::manifest::PROFILES;
use vox_models::{Manifest, ModelError, Role};

#[test]
fn the_shipped_manifest_is_valid_and_complete() {
    let manifest = Manifest::builtin().unwrap();
    for profile in PROFILES {
        let models = manifest.profile(profile).unwrap();
        for role in Role::ALL {
            assert!(
                models.iter().any(|m| m.role == role),
                "profile {profile} lacks a {} model",
                role.as_str()
            );
        }
    }
    // Figures from ../shared/MODELS.md, where these were downloaded and checked.
    let gguf = &manifest.model("qwen2.5-coder-1.5b-instruct").unwrap().files[0];
    assert_eq!(gguf.size, 1_117_320_768);
    assert_eq!(
        gguf.sha256,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    );
    assert_eq!(gguf.pypi.len(), 22);
    let whisper = &manifest.model("whisper-base").unwrap().files[0];
    assert_eq!((whisper.size, whisper.pypi.len()), (145_217_532, 2));
    let ort = &manifest.model("onnxruntime").unwrap().files[0];
    assert_eq!(ort.pypi[0].package, "onnxruntime==1.32.0");
    assert!(
        ort.pypi[0].platform.is_some(),
        "binary wheels name their platform"
    );
    let recorded = &manifest.model("whisper-base").unwrap().generated[0].sha256;
    let actual =
        vox_models::sha256_hex(&vox_models::convert::Generator::WhisperPreprocessorConfig.generate());
    assert_eq!(
        recorded, &actual,
        "the recorded hash of the generated config matches the generator"
    );
}

const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn with_model(model: &str) -> String {
    let mut text = String::new();
    for (name, role) in [("a", "asr"), ("l", "llm"), ("t", "tts")] {
        text += &format!(
            "[[models]]\nname = \"{name}\"\nrole = \"{role}\"\nprofiles = [\"default\", \"fast\", \"test\"]\n\
             license = \"MIT\"\ndescription = \"d\"\n[[models.files]]\npath = \"f\"\nsize = 1\nsha256 = \"{SHA}\"\n\
             url = \"https://example.invalid/f\"\n\n"
        );
    }
    text + model
}

/// The manifest error `text` (a whole manifest) is refused with.
fn refused(text: &str) -> String {
    match Manifest::parse(text) {
        Err(ModelError::Manifest(message)) => message,
        other => panic!("expected a manifest error, got {other:?}"),
    }
}

#[test]
fn manifests_that_break_the_rules_are_refused() {
    assert!(Manifest::parse(&with_model("")).is_ok());
    let model = |body: &str| {
        with_model(&format!(
            "[[models]]\nname = \"x\"\nrole = \"vad\"\nprofiles = [\"test\"]\nlicense = \"MIT\"\ndescription = \"d\"\n{body}"
        ))
    };
    let file = |extra: &str| format!("[[models.files]]\npath = \"f\"\nsize = 1\nsha256 = \"{SHA}\"\n{extra}");
    assert!(refused(&model(&file(""))).contains("has no source"));
    assert!(refused(&model(&file("pypi = [{ package = \"p\", member = \"m\" }]"))).contains("name==version"));
    assert!(
        refused(&model(
            &file("url = \"u\"").replace("path = \"f\"", "path = \"../f\"")
        ))
        .contains("relative")
    );
    assert!(refused(&model(&file("url = \"u\"").replace(SHA, "abc"))).contains("64 lower-case hex"));
    assert!(
        refused(&model(&file("url = \"u\"")).replace("[\"test\"]", "[\"turbo\"]"))
            .contains("unknown profile")
    );
    assert!(refused(&with_model("").replace("name = \"l\"", "name = \"a\"")).contains("listed twice"));
    let message = refused(&with_model("").replace("role = \"llm\"", "role = \"asr\""));
    assert!(message.contains("exactly one"), "{message}");
    assert!(Manifest::parse("[[models]]\nname = 1").is_err());
    assert!(matches!(
        Manifest::parse(&with_model("")).unwrap().profile("turbo"),
        Err(ModelError::Manifest(_))
    ));
}
