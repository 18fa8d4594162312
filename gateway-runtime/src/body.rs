//! The one body type that flows through the gateway, in both directions:
//! nothing, bytes already in memory (a checked request body, a mock answer,
//! a problem), or a body streamed from the other side.
//!
//! An enum rather than a boxed trait object, so that no request pays for a
//! heap allocation just to erase a type.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// A request or response body handled by the gateway.
#[derive(Debug)]
pub enum GatewayBody {
    /// No body at all.
    Empty,
    /// Bytes in memory; `None` once sent.
    Full(Option<Bytes>),
    /// Streamed as received from the client or the upstream.
    Stream(Incoming),
}

impl GatewayBody {
    /// A body from bytes in memory (an empty buffer is sent as no body).
    pub fn full(bytes: Bytes) -> GatewayBody {
        if bytes.is_empty() {
            GatewayBody::Empty
        } else {
            GatewayBody::Full(Some(bytes))
        }
    }
}

impl Body for GatewayBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            GatewayBody::Empty => Poll::Ready(None),
            GatewayBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            GatewayBody::Stream(incoming) => Pin::new(incoming).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            GatewayBody::Empty => true,
            GatewayBody::Full(bytes) => bytes.is_none(),
            GatewayBody::Stream(incoming) => incoming.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            GatewayBody::Empty => SizeHint::with_exact(0),
            GatewayBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            GatewayBody::Stream(incoming) => incoming.size_hint(),
        }
    }
}
