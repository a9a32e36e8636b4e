//! Phonemes from espeak-ng (Debian's libespeak-ng), the front end Piper and Kokoro were trained
//! on. The library keeps global state, so every call goes through one lock.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::{Mutex, OnceLock};

#[link(name = "espeak-ng")]
unsafe extern "C" {
    fn espeak_Initialize(output: c_int, buflength: c_int, path: *const c_char, options: c_int) -> c_int;
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

/// `AUDIO_OUTPUT_SYNCHRONOUS`: no audio device is opened.
const OUTPUT_SYNCHRONOUS: c_int = 2;
/// `espeakINITIALIZE_DONT_EXIT`: report errors instead of exiting the process.
const INITIALIZE_DONT_EXIT: c_int = 0x8000;
const CHARS_UTF8: c_int = 1;
const PHONEMES_IPA: c_int = 0x02;

/// Marks the library as initialised; holding it serialises every call into espeak-ng.
struct Espeak {
    voice: Option<String>,
}

fn espeak() -> Result<&'static Mutex<Espeak>, String> {
    static ESPEAK: OnceLock<Result<Mutex<Espeak>, String>> = OnceLock::new();
    ESPEAK
        .get_or_init(|| {
            // SAFETY: called once, before any other espeak-ng function; a null path means the
            // installed espeak-ng-data.
            let rate =
                unsafe { espeak_Initialize(OUTPUT_SYNCHRONOUS, 0, std::ptr::null(), INITIALIZE_DONT_EXIT) };
            if rate <= 0 {
                return Err("espeak-ng failed to initialise (is espeak-ng-data installed?)".into());
            }
            Ok(Mutex::new(Espeak { voice: None }))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// IPA for `text` (which should hold no clause punctuation: espeak-ng drops it) in the espeak
/// voice `voice` (`en-us`, `fr`, ...). Clauses espeak-ng finds are joined with a space.
pub fn phonemize(text: &str, voice: &str) -> Result<String, String> {
    let lock = espeak()?;
    let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if state.voice.as_deref() != Some(voice) {
        let name = CString::new(voice).map_err(|_| "bad voice name".to_string())?;
        // SAFETY: initialised above; `name` outlives the call; the lock serialises callers.
        if unsafe { espeak_SetVoiceByName(name.as_ptr()) } != 0 {
            return Err(format!("espeak-ng has no voice '{voice}'"));
        }
        state.voice = Some(voice.to_string());
    }
    let text = CString::new(text.replace('\0', " ")).map_err(|_| "text holds NUL".to_string())?;
    let mut cursor: *const c_void = text.as_ptr().cast();
    let mut clauses = Vec::new();
    while !cursor.is_null() {
        // SAFETY: `cursor` points into `text`, which lives until the loop ends; espeak-ng advances
        // it clause by clause and sets it to null at the end. The returned buffer is espeak-ng's
        // own and is copied before the next call.
        let phonemes = unsafe { espeak_TextToPhonemes(&mut cursor, CHARS_UTF8, PHONEMES_IPA) };
        if phonemes.is_null() {
            break;
        }
        let clause = unsafe { CStr::from_ptr(phonemes) }
            .to_string_lossy()
            .trim()
            .to_string();
        if !clause.is_empty() {
            clauses.push(clause);
        }
    }
    Ok(clauses.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_french_get_their_own_phonemes() {
        let english = phonemize("hello world", "en-us").unwrap();
        assert!(english.contains("həl"), "{english}");
        let french = phonemize("bonjour", "fr").unwrap();
        assert!(french.contains("ʒ") && french.contains("ʁ"), "{french}");
    }

    #[test]
    fn an_unknown_voice_is_an_error() {
        assert!(phonemize("hi", "xx-nonexistent").is_err());
    }
}
