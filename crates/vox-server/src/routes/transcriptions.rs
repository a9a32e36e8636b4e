//! `POST /audio/transcriptions` and `/audio/translations` (multipart).

use axum::Json;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::header;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;
use vox_engine::transcribe::{Transcript, TranscriptionJob, TranscriptionTask};
use vox_protocol::ProtocolError;
use vox_protocol::transcription::{
    TranscriptFormat, TranscriptStreamEvent, TranscriptionForm, ValidTranscriptionRequest,
    validate_transcription_form,
};

use crate::audio_input;
use crate::body::LimitedRequest;
use crate::context::RequestContext;
use crate::engines::RequiredEngines;
use crate::error::ApiError;
use crate::state::AppState;
use crate::transcript_format;

/// The multipart form, for the API description only.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TranscriptionUpload {
    /// The audio file: wav, mp3, flac, ogg, webm, m4a.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    model: String,
    language: Option<String>,
    prompt: Option<String>,
    temperature: Option<f64>,
    /// `json`, `text`, `srt`, `vtt` or `verbose_json`.
    response_format: Option<String>,
    #[schema(rename = "timestamp_granularities[]")]
    timestamp_granularities: Option<Vec<String>>,
    stream: Option<bool>,
}

/// Speech to text in the spoken language.
#[utoipa::path(
    post,
    path = "/v1/audio/transcriptions",
    tag = "audio",
    request_body(content = TranscriptionUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The transcript", body = vox_protocol::transcription::Transcription),
        (status = 400, description = "Invalid request", body = vox_protocol::error::ErrorEnvelope),
        (status = 413, description = "File over the limit", body = vox_protocol::error::ErrorEnvelope),
        (status = 503, description = "No speech recognition engine", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn transcribe(
    state: State<AppState>,
    context: RequestContext,
    body: LimitedRequest,
) -> Result<Response, ApiError> {
    handle(state, context, body, TranscriptionTask::Transcribe).await
}

/// Speech to English text.
#[utoipa::path(
    post,
    path = "/v1/audio/translations",
    tag = "audio",
    request_body(content = TranscriptionUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The English transcript", body = vox_protocol::transcription::Transcription),
        (status = 400, description = "Invalid request", body = vox_protocol::error::ErrorEnvelope),
        (status = 503, description = "No speech recognition engine", body = vox_protocol::error::ErrorEnvelope),
    )
)]
pub async fn translate(
    state: State<AppState>,
    context: RequestContext,
    body: LimitedRequest,
) -> Result<Response, ApiError> {
    handle(state, context, body, TranscriptionTask::Translate).await
}

async fn handle(
    State(state): State<AppState>,
    context: RequestContext,
    LimitedRequest(request): LimitedRequest,
    task: TranscriptionTask,
) -> Result<Response, ApiError> {
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| not_multipart())?;
    let (form, file) = read_form(multipart, state.settings().max_audio_bytes).await?;
    let deployment = context.deployment(&state, form.model.as_deref())?;
    let request = validate_transcription_form(form)?;
    let file = file.ok_or_else(|| ProtocolError::missing("file"))?;
    let audio = audio_input::decode(&state, file, "file".into()).await?;
    let transcriber = RequiredEngines::transcriber(state.engines_for(deployment))?;
    crate::engines::admit(&state, transcriber.expected_wait())?;
    let audio = audio_input::at_rate(audio, transcriber.sample_rate()).await?;
    let job = TranscriptionJob {
        audio,
        task,
        language: request.language.clone(),
        prompt: request.prompt.clone(),
        temperature: request.temperature,
        word_timestamps: request.word_timestamps,
    };
    let audio_secs = job.audio.duration_secs();
    let started = std::time::Instant::now();
    let transcript = transcriber.transcribe(job).await?;
    let stages = &state.metrics().stages;
    stages.recognised(started.elapsed().as_secs_f64(), audio_secs);
    Ok(respond(&request, task, &transcript))
}

fn respond(
    request: &ValidTranscriptionRequest,
    task: TranscriptionTask,
    transcript: &Transcript,
) -> Response {
    if request.stream {
        return stream(transcript);
    }
    match request.format {
        TranscriptFormat::Json => Json(transcript_format::json(transcript)).into_response(),
        TranscriptFormat::VerboseJson => Json(transcript_format::verbose_json(
            transcript,
            task,
            request.word_timestamps,
        ))
        .into_response(),
        TranscriptFormat::Text => plain(transcript_format::text(transcript)),
        TranscriptFormat::Srt => plain(transcript_format::srt(transcript)),
        TranscriptFormat::Vtt => plain(transcript_format::vtt(transcript)),
    }
}

fn plain(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `stream=true`: one `transcript.text.delta` per segment, then `transcript.text.done`.
fn stream(transcript: &Transcript) -> Response {
    let mut events: Vec<TranscriptStreamEvent> = Vec::new();
    for (i, segment) in transcript.segments.iter().enumerate() {
        let text = segment.text.trim();
        if text.is_empty() {
            continue;
        }
        let delta = if i == 0 {
            text.to_string()
        } else {
            format!(" {text}")
        };
        events.push(TranscriptStreamEvent::Delta { delta });
    }
    events.push(TranscriptStreamEvent::Done {
        text: transcript.text.clone(),
    });
    let events = events
        .into_iter()
        .map(|event| Event::default().json_data(event).map_err(axum::Error::new));
    Sse::new(futures::stream::iter(events)).into_response()
}

async fn read_form(
    mut multipart: Multipart,
    max_audio_bytes: usize,
) -> Result<(TranscriptionForm, Option<Vec<u8>>), ApiError> {
    let mut form = TranscriptionForm::default();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| not_multipart())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let bytes = field.bytes().await.map_err(|_| not_multipart())?;
            if bytes.len() > max_audio_bytes {
                return Err(ProtocolError::too_large(
                    format!(
                        "The file is {} bytes, more than the {max_audio_bytes}-byte limit.",
                        bytes.len()
                    ),
                    "file",
                )
                .into());
            }
            file = Some(bytes.to_vec());
            continue;
        }
        let value = field.text().await.map_err(|_| not_multipart())?;
        match name.as_str() {
            "model" => form.model = Some(value),
            "language" => form.language = Some(value),
            "prompt" => form.prompt = Some(value),
            "temperature" => form.temperature = Some(value),
            "response_format" => form.response_format = Some(value),
            "timestamp_granularities[]" | "timestamp_granularities" => {
                form.timestamp_granularities.push(value)
            }
            "stream" => form.stream = Some(value),
            _ => {} // Unknown fields are ignored, as in JSON bodies.
        }
    }
    Ok((form, file))
}

fn not_multipart() -> ApiError {
    ProtocolError::invalid(
        "Expected a multipart/form-data body with the audio in a 'file' field.",
        "file",
        "invalid_request_body",
    )
    .into()
}
