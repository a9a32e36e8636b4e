//! Prints how Vox would read a text: its language, pieces and phonemes.
//! `cargo run --release -p vox-tts-onnx --example ipa -- "Dr. Smith paid $5."`

fn main() {
    let text = std::env::args().nth(1).unwrap_or_default();
    let language = vox_tts_onnx::text::Language::detect(&text);
    for piece in vox_tts_onnx::text::pieces(&text, language) {
        println!(
            "{language:?} {piece:?} -> {:?}",
            vox_tts_onnx::text::phonemes(&piece, language.espeak_voice())
        );
    }
}
