//! X's error responses, built the way the real API shapes them: problem details
//! (RFC 7807) for v2 errors, the invalid-request problem with its `errors` list,
//! the v1.1 `{"errors":[{code,message}]}` form some 429s still use, and the
//! OAuth token endpoint's `{"error","error_description"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::x::wire::problem_type;

/// An error the simulator answers with, as X would.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400 invalid-request; each entry is (parameter name, values, message).
    InvalidRequest(Vec<(String, Vec<String>, String)>),
    /// 400 invalid-request whose message names no parameter (bad JSON body).
    InvalidBody(String),
    Unauthorized,
    /// 403 for an endpoint that needs a user token.
    UnsupportedAuthentication,
    /// 403 with X's `about:blank` Forbidden shape and a detail.
    Forbidden(String),
    NotFound(String),
    /// 429 rate limit; `legacy` picks the v1.1 body.
    TooManyRequests {
        legacy: bool,
    },
    UsageCapExceeded,
    CreditsDepleted,
    /// 5xx injected by a fault.
    Server(StatusCode),
    /// OAuth token endpoint error.
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
}

/// The account id X puts in cap and credit errors.
const SIM_ACCOUNT_ID: &str = "1580000000000000000";

impl ApiError {
    pub fn invalid_param(name: &str, value: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidRequest(vec![(
            name.to_string(),
            vec![value.to_string()],
            message.into(),
        )])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) | ApiError::InvalidBody(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::UnsupportedAuthentication | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests { .. } | ApiError::UsageCapExceeded => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::CreditsDepleted => StatusCode::PAYMENT_REQUIRED,
            ApiError::Server(s) => *s,
            ApiError::OAuth { status, .. } => *status,
        }
    }

    /// The JSON body X sends for this error.
    pub fn body(&self) -> Value {
        match self {
            ApiError::InvalidRequest(errors) => {
                let errors: Vec<Value> = errors
                    .iter()
                    .map(|(name, values, message)| {
                        json!({"parameters": {name: values}, "message": message})
                    })
                    .collect();
                json!({
                    "errors": errors,
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": problem_type::INVALID_REQUEST,
                })
            }
            ApiError::InvalidBody(message) => json!({
                "errors": [{"message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": problem_type::INVALID_REQUEST,
            }),
            ApiError::Unauthorized => json!({
                "title": "Unauthorized", "type": problem_type::ABOUT_BLANK,
                "status": 401, "detail": "Unauthorized",
            }),
            ApiError::UnsupportedAuthentication => json!({
                "title": "Unsupported Authentication",
                "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                "type": problem_type::UNSUPPORTED_AUTH,
                "status": 403,
            }),
            ApiError::Forbidden(detail) => json!({
                "detail": detail, "type": problem_type::ABOUT_BLANK,
                "title": "Forbidden", "status": 403,
            }),
            ApiError::NotFound(detail) => json!({
                "detail": detail, "type": problem_type::ABOUT_BLANK,
                "title": "Not Found", "status": 404,
            }),
            ApiError::TooManyRequests { legacy: true } => {
                json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]})
            }
            ApiError::TooManyRequests { legacy: false } => json!({
                "title": "Too Many Requests", "detail": "Too Many Requests",
                "type": problem_type::ABOUT_BLANK, "status": 429,
            }),
            ApiError::UsageCapExceeded => json!({
                "account_id": SIM_ACCOUNT_ID,
                "product_name": "pay-per-use",
                "title": "UsageCapExceeded",
                "period": "Monthly",
                "scope": "Product",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": problem_type::USAGE_CAPPED,
            }),
            ApiError::CreditsDepleted => json!({
                "account_id": SIM_ACCOUNT_ID.parse::<u64>().unwrap_or_default(),
                "title": "CreditsDepleted",
                "detail": format!("Your enrolled account [{SIM_ACCOUNT_ID}] does not have any credits to fulfill this request."),
                "type": problem_type::CREDITS,
            }),
            ApiError::Server(status) => json!({
                "title": status.canonical_reason().unwrap_or("Server Error"),
                "detail": status.canonical_reason().unwrap_or("Server Error"),
                "type": problem_type::ABOUT_BLANK,
                "status": status.as_u16(),
            }),
            ApiError::OAuth {
                error, description, ..
            } => json!({"error": error, "error_description": description}),
        }
    }

    fn content_type(&self) -> &'static str {
        match self {
            ApiError::TooManyRequests { legacy: true } | ApiError::OAuth { .. } => {
                "application/json; charset=utf-8"
            }
            _ => "application/problem+json",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.body().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type()),
        );
        response
    }
}

/// Shorthand for OAuth `invalid_request`.
pub fn oauth_invalid(description: impl Into<String>) -> ApiError {
    ApiError::OAuth {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_request",
        description: description.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x::XError;
    use crate::x::ratelimit::RateLimits;

    /// The client maps every error body the simulator sends to its typed error.
    #[test]
    fn the_client_maps_every_simulator_error() {
        let map = |e: ApiError| {
            XError::from_response(
                e.status(),
                RateLimits::default(),
                e.body().to_string().as_bytes(),
            )
        };
        assert!(matches!(
            map(ApiError::Forbidden(
                "You are not permitted to perform this action.".into()
            )),
            XError::Forbidden { .. }
        ));
        assert!(matches!(
            map(ApiError::UnsupportedAuthentication),
            XError::Forbidden { .. }
        ));
        assert!(matches!(
            map(ApiError::NotFound("Sorry, that page does not exist".into())),
            XError::NotFound { .. }
        ));
        assert!(matches!(
            map(ApiError::Unauthorized),
            XError::Unauthorized { .. }
        ));
        assert!(matches!(
            map(ApiError::UsageCapExceeded),
            XError::UsageCapExceeded { .. }
        ));
        assert!(matches!(
            map(ApiError::CreditsDepleted),
            XError::CreditsDepleted { .. }
        ));
        assert!(matches!(
            map(ApiError::TooManyRequests { legacy: true }),
            XError::RateLimited { .. }
        ));
        assert!(matches!(
            map(ApiError::TooManyRequests { legacy: false }),
            XError::RateLimited { .. }
        ));
        assert!(matches!(
            map(ApiError::Server(StatusCode::BAD_GATEWAY)),
            XError::Server { status: 502, .. }
        ));
        assert!(matches!(
            map(ApiError::invalid_param("max_results", "5", "bad")),
            XError::InvalidRequest { .. }
        ));
    }
}
