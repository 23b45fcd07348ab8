//! What a desk request can fail with, and the page (or status) each failure
//! shows. Messages are for officers: what happened and what to do.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tracing::error;

use crate::domain::officer::{Permission, Role};
use crate::reply::ReplyError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    #[error("log in to use the desk")]
    NoSession,
    #[error("your role ({role}) may not {permission}; ask an administrator")]
    Forbidden { role: Role, permission: Permission },
    #[error("the form's security token is missing or out of date: reload the page and try again")]
    Csrf,
    #[error("the request is too large")]
    TooLarge,
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be done as asked (a transition the workflow
    /// refuses, a reply X would refuse): 409 or 422 with the reason.
    #[error("{message}")]
    Refused { status: StatusCode, message: String },
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => WebError::NotFound(format!("no {what} {id}")),
            e @ StoreError::SelfApproval { .. } => WebError::Refused {
                status: StatusCode::FORBIDDEN,
                message: e.to_string(),
            },
            e @ StoreError::Search(_) => WebError::Refused {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: e.to_string(),
            },
            e @ (StoreError::Transition(_)
            | StoreError::ReplyTransition(_)
            | StoreError::ReplyExists { .. }
            | StoreError::Claimed { .. }
            | StoreError::Conflict(_)) => WebError::Refused {
                status: StatusCode::CONFLICT,
                message: e.to_string(),
            },
            other => WebError::Internal(format!("{:#}", anyhow::Error::from(other))),
        }
    }
}

impl From<ReplyError> for WebError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::Store(e) => e.into(),
            e @ ReplyError::Text(_) => WebError::Refused {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: e.to_string(),
            },
            e @ ReplyError::NotSendable(_) => WebError::Refused {
                status: StatusCode::CONFLICT,
                message: e.to_string(),
            },
            e @ ReplyError::Timeline(_) => WebError::Unavailable(e.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("rendering a page: {e}"))
    }
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NoSession => StatusCode::UNAUTHORIZED,
            WebError::Forbidden { .. } | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Refused { status, .. } => *status,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            WebError::Internal(detail) => {
                error!(error = %detail, "desk request failed");
                "Something went wrong on the desk's side; it has been logged. Try again, \
                 and tell the administrator if it keeps happening."
                    .to_owned()
            }
            other => other.to_string(),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.message).into_response(),
        }
    }
}
