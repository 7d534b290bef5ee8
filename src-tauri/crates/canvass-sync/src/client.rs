//! The HTTP side of sync: `/v1` calls with reqwest (rustls), gzip request bodies, and status classification.

use std::io::Write as _;
use std::time::Duration;

use canvass_protocol::{ApiError, Changes, LoginRequest, LoginResponse, PushResponse};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Response, StatusCode};

use crate::error::{Error, Result};

/// A connection to one canvass-server.
#[derive(Debug, Clone)]
pub struct Server {
    // Crate-visible for the attachment calls in `attachments.rs`.
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

/// How long one request may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Server {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:8080`), with a per-request timeout.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Server> {
        let base = base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::BadUrl {
                url: base_url.to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(15)))
            .build()
            .map_err(Error::Network)?;
        Ok(Server { http, base })
    }

    /// `POST /v1/login`.
    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse> {
        let resp = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(req)
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }

    /// `POST /v1/batches` with a pre-serialized JSON body, gzip-compressed; returns the answer and bytes sent.
    pub async fn push(&self, token: &str, body_json: &[u8]) -> Result<(PushResponse, usize)> {
        let body = gzip(body_json);
        let sent = body.len();
        let resp = self
            .http
            .post(format!("{}/v1/batches", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_ENCODING, "gzip")
            .body(body)
            .send()
            .await
            .map_err(Error::Network)?;
        Ok((json(check(resp).await?).await?, sent))
    }

    /// `GET /v1/health`: whether the server answers at all (no token needed); any failure is "no".
    pub async fn reachable(&self) -> bool {
        match self
            .http
            .get(format!("{}/v1/health", self.base))
            .send()
            .await
        {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    /// `GET /v1/changes?since=CURSOR`.
    pub async fn changes(&self, token: &str, since: Option<&str>) -> Result<Changes> {
        let resp = self
            .http
            .get(format!("{}/v1/changes", self.base))
            .query(&[("since", since.unwrap_or(""))])
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }
}

impl Server {
    /// `POST /v1/decisions` with a decision's stored JSON text (a supervisor's review).
    pub async fn post_decision(&self, token: &str, body_json: &str) -> Result<()> {
        let resp = self
            .http
            .post(format!("{}/v1/decisions", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .body(body_json.to_owned())
            .send()
            .await
            .map_err(Error::Network)?;
        check(resp).await?;
        Ok(())
    }

    /// `GET /v1/interviews[?since=MS]`: the latest revision of each interview of the caller's team
    /// (only those the server received at or after `since`, server time, when given).
    pub async fn team_interviews(
        &self,
        token: &str,
        since: Option<i64>,
    ) -> Result<canvass_protocol::InterviewList> {
        let mut url = format!("{}/v1/interviews", self.base);
        if let Some(since) = since {
            url.push_str(&format!("?since={since}"));
        }
        let resp = self
            .http
            .get(url)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }
}

/// Gzip of `bytes`; writing to a Vec cannot fail, so the fallback to the plain bytes never happens in practice.
impl Server {
    /// `POST /v1/leases`: asks for, extends or gives back CATI case leases for this device.
    pub async fn leases(
        &self,
        token: &str,
        req: &canvass_protocol::LeaseRequest,
    ) -> Result<canvass_protocol::LeaseResponse> {
        let resp = self
            .http
            .post(format!("{}/v1/leases", self.base))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .json(req)
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }

    /// `GET /v1/quotas?study=S`: the server's quota-cell totals of a study.
    pub async fn quota_totals(
        &self,
        token: &str,
        study_id: &str,
    ) -> Result<canvass_protocol::QuotaTotals> {
        let resp = self
            .http
            .get(format!("{}/v1/quotas", self.base))
            .query(&[("study", study_id)])
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .map_err(Error::Network)?;
        json(check(resp).await?).await
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    match enc.write_all(bytes).and_then(|()| enc.finish()) {
        Ok(v) => v,
        Err(_) => unreachable!("writing into a Vec<u8> has no failure path"),
    }
}

/// Reads a 2xx body as JSON.
pub(crate) async fn json<T: serde::de::DeserializeOwned>(resp: Response) -> Result<T> {
    let bytes = resp.bytes().await.map_err(Error::Network)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::BadResponse(e.to_string()))
}

/// Passes a 2xx response through and classifies everything else.
pub(crate) async fn check(resp: Response) -> Result<Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    // Only the delta-seconds form; an HTTP date would need the wall clock, and the backoff covers it.
    let retry_after_ms = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|secs| secs.clamp(0, 24 * 3600) * 1000);
    // A failure body should be `{code, message}`; a proxy's HTML page is kept as text.
    let text = resp.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<ApiError>(&text) {
        Ok(e) => (e.code, e.message),
        Err(_) => (String::new(), text.chars().take(200).collect()),
    };
    Err(match status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized { code, message },
        StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge { message },
        StatusCode::TOO_MANY_REQUESTS => Error::Unavailable {
            status: status.as_u16(),
            message,
            retry_after_ms,
        },
        s if s.is_server_error() => Error::Unavailable {
            status: s.as_u16(),
            message,
            retry_after_ms,
        },
        s => Error::Refused {
            status: s.as_u16(),
            code,
            message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        Response::from(b.body(body.to_owned()).unwrap())
    }

    /// HTTP status, headers, body → (retryable, needs sign-in, variant name).
    type Case = (
        u16,
        Vec<(&'static str, &'static str)>,
        String,
        (bool, bool, &'static str),
    );

    #[tokio::test]
    async fn every_status_is_classified() {
        let coded = |code: &str| format!(r#"{{"code":"{code}","message":"m"}}"#);
        let cases: Vec<Case> = vec![
            (
                401,
                vec![],
                coded("unauthorized"),
                (false, true, "Unauthorized"),
            ),
            (413, vec![], coded("too_large"), (false, false, "TooLarge")),
            (
                429,
                vec![("retry-after", "30")],
                coded("busy"),
                (true, false, "Unavailable"),
            ),
            (500, vec![], coded("internal"), (true, false, "Unavailable")),
            (
                502,
                vec![],
                "<html>bad gateway</html>".into(),
                (true, false, "Unavailable"),
            ),
            (503, vec![], String::new(), (true, false, "Unavailable")),
            (403, vec![], coded("forbidden"), (false, false, "Refused")),
            (400, vec![], coded("bad_json"), (false, false, "Refused")),
        ];
        for (status, headers, body, (retryable, sign_in, name)) in cases {
            let e = check(response(status, &headers, &body)).await.unwrap_err();
            assert_eq!(
                (e.is_retryable(), e.needs_sign_in()),
                (retryable, sign_in),
                "HTTP {status}: {e:?}"
            );
            assert!(format!("{e:?}").starts_with(name), "HTTP {status}: {e:?}");
        }
        let e = check(response(429, &[("retry-after", "30")], ""))
            .await
            .unwrap_err();
        assert_eq!(e.retry_after_ms(), Some(30_000));
        let e = check(response(403, &[], &coded("forbidden")))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Refused { status: 403, ref code, .. } if code == "forbidden"),
            "{e:?}"
        );
        assert!(check(response(200, &[], "{}")).await.is_ok());
    }

    #[test]
    fn a_server_address_must_be_http() {
        assert!(matches!(
            Server::new("ftp://x", DEFAULT_TIMEOUT),
            Err(Error::BadUrl { .. })
        ));
        assert!(Server::new("https://canvass.example.org/", DEFAULT_TIMEOUT).is_ok());
    }
}
