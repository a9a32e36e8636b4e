//! A remote voice: `/audio/speech` with `response_format: "pcm"` (24 kHz 16-bit mono), read as
//! it streams so that a clause's first samples are handed on before its last are made.

use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt};
use serde_json::json;
use vox_engine::audio::AudioBuffer;
use vox_engine::speech::{SpeechJob, Synthesizer};
use vox_engine::voices::{VoiceCatalog, VoiceProfile};
use vox_engine::{EngineError, EngineStatus};

use crate::Endpoint;
use crate::client::Upstream;

const PCM_RATE: u32 = 24_000;
/// OpenAI's voice names: what any OpenAI-compatible speech server is expected to take.
const OPENAI_VOICES: [&str; 13] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin",
    "cedar",
];

pub struct RemoteVoices {
    upstream: Arc<Upstream>,
    catalog: Catalog,
}

impl RemoteVoices {
    /// The upstream's own voice list when it has one (`GET /audio/voices`, as Vox serves it),
    /// else OpenAI's names. Asked once, at start; an upstream down then gets OpenAI's names.
    pub async fn connect(endpoint: Endpoint) -> Result<Self, EngineError> {
        let upstream = Arc::new(Upstream::new("voice", endpoint)?);
        let listed = match upstream.send(upstream.get("audio/voices")).await {
            Ok(response) => response
                .json::<serde_json::Value>()
                .await
                .ok()
                .map(|body| ids_in(&body)),
            Err(err) => {
                tracing::info!(engine = %upstream.name, %err, "no voice list upstream: OpenAI's voice names are offered");
                None
            }
        };
        let ids = listed
            .filter(|ids| !ids.is_empty())
            .unwrap_or_else(|| OPENAI_VOICES.map(String::from).to_vec());
        let model = upstream.endpoint.model.clone();
        let catalog = Catalog(ids.into_iter().map(|id| profile(&id, &model)).collect());
        Ok(Self { upstream, catalog })
    }
}

fn ids_in(body: &serde_json::Value) -> Vec<String> {
    body.get("data")
        .and_then(|d| d.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.get("id")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn profile(id: &str, model: &str) -> VoiceProfile {
    VoiceProfile {
        id: id.to_string(),
        model: format!("remote:{model}"),
        speaker: id.to_string(),
        speed: 1.0,
        description: None,
        language: None,
        gender: None,
    }
}

struct Catalog(Vec<VoiceProfile>);

impl VoiceCatalog for Catalog {
    fn list(&self) -> Vec<VoiceProfile> {
        self.0.clone()
    }
}

impl Synthesizer for RemoteVoices {
    fn voices(&self) -> &dyn VoiceCatalog {
        &self.catalog
    }

    fn synthesize(&self, job: SpeechJob) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
        let upstream = self.upstream.clone();
        let body = json!({
            "model": upstream.endpoint.model,
            "voice": job.voice.speaker,
            "input": job.text,
            "response_format": "pcm",
            "speed": job.speed * job.voice.speed,
        });
        stream::once(async move {
            let response = upstream.send(upstream.post("audio/speech").json(&body)).await?;
            Ok::<_, EngineError>(pcm_chunks(upstream, response))
        })
        .flat_map(|started| match started {
            Ok(chunks) => chunks,
            Err(err) => stream::iter([Err(err)]).boxed(),
        })
        .boxed()
    }
}

impl EngineStatus for RemoteVoices {}

/// The response body as audio buffers, each as it arrives (an odd byte waits for its pair).
fn pcm_chunks(
    upstream: Arc<Upstream>,
    response: reqwest::Response,
) -> BoxStream<'static, Result<AudioBuffer, EngineError>> {
    let body = response.bytes_stream().boxed();
    stream::unfold(
        (body, Vec::<u8>::new(), false),
        move |(mut body, mut carry, done)| {
            let upstream = upstream.clone();
            async move {
                if done {
                    return None;
                }
                loop {
                    match body.next().await {
                        Some(Ok(bytes)) => {
                            carry.extend_from_slice(&bytes);
                            let whole = carry.len() / 2 * 2;
                            if whole == 0 {
                                continue;
                            }
                            let samples = pcm16_to_f32(&carry[..whole]);
                            carry.drain(..whole);
                            return Some((
                                Ok(AudioBuffer {
                                    samples,
                                    sample_rate: PCM_RATE,
                                }),
                                (body, carry, false),
                            ));
                        }
                        Some(Err(err)) => {
                            return Some((Err(upstream.transport_error(&err)), (body, carry, true)));
                        }
                        None => return None,
                    }
                }
            }
        },
    )
    .boxed()
}

fn pcm16_to_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_lists_are_read_as_vox_serves_them() {
        let body = json!({"object": "list", "data": [{"id": "alloy"}, {"id": "echo"}, {"name": "no id"}]});
        assert_eq!(ids_in(&body), vec!["alloy", "echo"]);
        assert!(ids_in(&json!({"voices": []})).is_empty());
    }

    #[test]
    fn pcm16_little_endian_becomes_samples() {
        assert_eq!(pcm16_to_f32(&[0x00, 0x40, 0x00, 0xC0]), vec![0.5, -0.5]);
    }
}
