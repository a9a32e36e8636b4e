//! `POST /audio/speech`.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::Instrument;
use vox_audio::AudioBuffer;
use vox_engine::EngineError;
use vox_engine::speech::SpeechJob;
use vox_protocol::speech::{
    SpeechFormat, SpeechRequest, SpeechStreamEvent, SpeechStreamFormat, SpeechUsage, validate_speech_request,
};

use crate::body::JsonBody;
use crate::context::RequestContext;
use crate::engines::{self, RequiredEngines};
use crate::error::ApiError;
use crate::speech_out::{self, EncoderOffRuntime, SpeechEncoder};
use crate::state::AppState;
use crate::usage_rules;

type SynthesizedAudio = BoxStream<'static, Result<AudioBuffer, EngineError>>;

/// Chunks in flight to a slow client before synthesis waits for it.
const CLIENT_BUFFER: usize = 16;

/// Text to speech. Also at `/openai/v1/audio/speech` and
/// `/openai/deployments/{deployment}/audio/speech`. The audio streams as it is synthesised,
/// sentence by sentence: chunked bytes, or Server-Sent Events with `stream_format: "sse"`.
#[utoipa::path(
    post,
    path = "/v1/audio/speech",
    tag = "audio",
    request_body = SpeechRequest,
    responses(
        (status = 200, description = "The audio file (or SSE with `stream_format: sse`)", content_type = "audio/mpeg"),
        (status = 400, description = "Invalid request", body = vox_protocol::error::ErrorEnvelope),
        (status = 429, description = "Speech engine queue full", body = vox_protocol::error::ErrorEnvelope),
        (status = 503, description = "No speech synthesis engine", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    JsonBody(request): JsonBody<SpeechRequest>,
) -> Result<Response, ApiError> {
    let deployment = context.deployment(&state, request.model.as_deref())?;
    let request = validate_speech_request(request, &state.voice_names(deployment))?;
    let synthesizer = RequiredEngines::synthesizer(state.engines_for(deployment))?;
    engines::admit(&state, synthesizer.expected_wait())?;
    let voice = synthesizer
        .voices()
        .resolve(&request.voice)
        .ok_or_else(|| ApiError::internal("a validated voice left the catalog"))?;
    let input_chars = request.input.chars().count();
    let chunks = synthesizer.synthesize(SpeechJob {
        // Markdown and symbols are said as a person would, as in a spoken chat answer.
        text: vox_pipeline::for_the_ear(&request.input),
        voice,
        speed: request.speed,
        language: None,
        heard_live: true,
    });
    let chunks = engines::refusal_first(chunks).await?;
    let encoder = SpeechEncoder::new(speech_out::speech_format(request.format))?;
    Ok(match request.stream_format {
        SpeechStreamFormat::Audio => audio_response(request.format, encoder, chunks),
        SpeechStreamFormat::Sse => sse_response(encoder, chunks, input_chars),
    })
}

/// Encodes chunks as they come and hands each piece of the file to `send`; stops when `send`
/// reports the client gone. Returns the seconds encoded, or `None` if the client left.
async fn encode_all<F, Fut>(encoder: SpeechEncoder, mut chunks: SynthesizedAudio, mut send: F) -> Option<f64>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut encoder = EncoderOffRuntime::new(encoder);
    while let Some(chunk) = chunks.next().await {
        let encoded = match chunk {
            Ok(chunk) => encoder.push(chunk).await,
            Err(err) => Err(ApiError::from(err)),
        };
        let bytes = match encoded {
            Ok(bytes) => bytes,
            Err(err) => {
                // The status line has gone out: the file ends here.
                tracing::warn!(message = %err.message, "speech synthesis failed mid-stream");
                break;
            }
        };
        if !bytes.is_empty() && !send(bytes).await {
            return None;
        }
    }
    match encoder.finish().await {
        Ok(tail) => {
            let delivered = tail.is_empty() || send(tail).await;
            delivered.then(|| encoder.seconds())
        }
        Err(err) => {
            tracing::warn!(message = %err.message, "speech encoding failed");
            Some(encoder.seconds())
        }
    }
}

fn audio_response(format: SpeechFormat, encoder: SpeechEncoder, chunks: SynthesizedAudio) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(CLIENT_BUFFER);
    let task = async move {
        encode_all(encoder, chunks, |bytes| {
            let tx = tx.clone();
            async move { tx.send(Ok(Bytes::from(bytes))).await.is_ok() }
        })
        .await;
    };
    tokio::spawn(task.in_current_span());
    (
        [(header::CONTENT_TYPE, format.content_type())],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response()
}

fn sse_response(encoder: SpeechEncoder, chunks: SynthesizedAudio, input_chars: usize) -> Response {
    let (tx, rx) = mpsc::channel::<Event>(CLIENT_BUFFER);
    let task = async move {
        let delta_tx = tx.clone();
        let seconds = encode_all(encoder, chunks, |bytes| {
            let tx = delta_tx.clone();
            async move {
                let audio = base64::engine::general_purpose::STANDARD.encode(bytes);
                tx.send(sse_event(&SpeechStreamEvent::Delta { audio }))
                    .await
                    .is_ok()
            }
        })
        .await;
        if let Some(seconds) = seconds {
            let input_tokens = usage_rules::text_tokens(input_chars);
            let output_tokens = usage_rules::output_audio_tokens(seconds);
            let usage = SpeechUsage {
                input_tokens,
                output_tokens,
                total_tokens: input_tokens + output_tokens,
            };
            let _ = tx.send(sse_event(&SpeechStreamEvent::Done { usage })).await;
        }
    };
    tokio::spawn(task.in_current_span());
    Sse::new(ReceiverStream::new(rx).map(Ok::<_, Infallible>)).into_response()
}

fn sse_event(event: &SpeechStreamEvent) -> Event {
    Event::default().data(serde_json::to_string(event).unwrap_or_default())
}
