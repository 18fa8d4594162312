//! The built-in `mock` upstream: answers each operation with the example
//! response compiled from the contract, so a gateway runs before any
//! backend exists.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};

use crate::body::GatewayBody;
use crate::contract::MockResponse;

/// The mock's answer; a `HEAD` request gets the head only.
pub fn respond(mock: &'static MockResponse, head_only: bool) -> Response<GatewayBody> {
    let body = if head_only {
        GatewayBody::Empty
    } else {
        GatewayBody::full(Bytes::from_static(mock.body.as_bytes()))
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(mock.status).unwrap_or(StatusCode::OK);
    if let Some(content_type) = mock.content_type {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
