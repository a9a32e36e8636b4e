//! Requests to the chosen endpoint: JSON in, JSON or Server-Sent Events out, every error
//! response turned into a [`Failure`].

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::Value;

use super::endpoint::Endpoint;
use super::failure::Failure;

/// A whole answer may take long (a 30-minute recording transcribed on two cores), so the bound
/// is generous; it only ends a server that stopped answering.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn client() -> Result<Client, Failure> {
    Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(ANSWER_TIMEOUT)
        .build()
        .map_err(|e| Failure::network(e.to_string()))
}

/// A success status passes; any other becomes the server's error.
fn checked(sent: reqwest::Result<Response>) -> Result<Response, Failure> {
    let response = sent.map_err(|e| Failure::network(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    Err(Failure::from_response(
        status.as_u16(),
        &response.text().unwrap_or_default(),
    ))
}

fn send(endpoint: &Endpoint, operation: &str, body: &Value) -> Result<Response, Failure> {
    checked(
        endpoint
            .authorize(client()?.post(endpoint.url(operation)))
            .json(body)
            .send(),
    )
}

pub fn post_bytes(
    endpoint: &Endpoint,
    operation: &str,
    body: &Value,
) -> Result<Box<dyn Read + Send>, Failure> {
    Ok(Box::new(send(endpoint, operation, body)?))
}

/// Calls `on_event` with each `data:` JSON of an SSE answer, in order, until `[DONE]`. An
/// `{"error": ...}` event is a failure.
pub fn post_events(
    endpoint: &Endpoint,
    operation: &str,
    body: &Value,
    mut on_event: impl FnMut(&Value) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let response = send(endpoint, operation, body)?;
    for line in BufReader::new(response).lines() {
        let line = line.map_err(|e| Failure::network(format!("the answer broke off: {e}")))?;
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            return Ok(());
        }
        let event: Value =
            serde_json::from_str(data).map_err(|e| Failure::network(format!("unreadable event: {e}")))?;
        if event.get("error").is_some() {
            return Err(Failure::from_response(500, data));
        }
        on_event(&event)?;
    }
    Ok(())
}

/// `multipart/form-data` with one file and text fields.
pub fn post_multipart(
    endpoint: &Endpoint,
    operation: &str,
    file_name: &str,
    file: &[u8],
    fields: &[(&str, &str)],
) -> Result<String, Failure> {
    let boundary = format!("vox-{}", std::process::id());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let request = endpoint
        .authorize(client()?.post(endpoint.url(operation)))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    checked(request.send())?
        .text()
        .map_err(|e| Failure::network(e.to_string()))
}
