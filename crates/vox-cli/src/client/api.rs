//! Requests to the chosen endpoint: JSON in, JSON or Server-Sent Events out, every error
//! response turned into a [`Failure`].

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use serde_json::Value;

use super::endpoint::Endpoint;
use super::failure::Failure;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(600))
        .build()
}

fn send(endpoint: &Endpoint, operation: &str, body: &Value) -> Result<ureq::Response, Failure> {
    let request = endpoint.authorize(agent().post(&endpoint.url(operation)));
    match request.send_json(body) {
        Ok(response) => Ok(response),
        Err(ureq::Error::Status(status, response)) => Err(Failure::from_response(
            status,
            &response.into_string().unwrap_or_default(),
        )),
        Err(err) => Err(Failure::network(err.to_string())),
    }
}

pub fn post_bytes(
    endpoint: &Endpoint,
    operation: &str,
    body: &Value,
) -> Result<Box<dyn Read + Send>, Failure> {
    Ok(send(endpoint, operation, body)?.into_reader())
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
    for line in BufReader::new(response.into_reader()).lines() {
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
    let request = endpoint.authorize(agent().post(&endpoint.url(operation))).set(
        "Content-Type",
        &format!("multipart/form-data; boundary={boundary}"),
    );
    match request.send_bytes(&body) {
        Ok(response) => response
            .into_string()
            .map_err(|e| Failure::network(e.to_string())),
        Err(ureq::Error::Status(status, response)) => Err(Failure::from_response(
            status,
            &response.into_string().unwrap_or_default(),
        )),
        Err(err) => Err(Failure::network(err.to_string())),
    }
}
