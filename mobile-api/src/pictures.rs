//! Pictures people upload — an offer's, a litter report's photo — made safe
//! to keep (re-encoded, without what the camera wrote into them) and kept in
//! the file store, never in a row; and served back.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use smartville_engine::pictures::{self, PictureRefusal};

use crate::ApiState;
use crate::problem::Problem;

/// Re-encodes an upload and keeps it under `<folder>/<id>-<hash>.<extension>`: its key and media type.
pub(crate) async fn keep(
    state: &ApiState,
    upload: Result<Bytes, BytesRejection>,
    folder: &str,
    id: &str,
) -> Result<(String, &'static str), Problem> {
    let upload = upload.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(_) => refused(PictureRefusal::TooLarge),
        other => other.into(),
    })?;
    let picture = tokio::task::spawn_blocking(move || pictures::reencode(&upload))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(refused)?;
    let digest = Sha256::digest(&picture.bytes);
    let hash: String = digest[..8].iter().map(|byte| format!("{byte:02x}")).collect();
    let key = format!("{folder}/{id}-{hash}.{}", picture.extension);
    state.files.put(&key, &picture.bytes).await.map_err(|e| Problem::internal(&e))?;
    Ok((key, picture.media_type))
}

fn refused(refusal: PictureRefusal) -> Problem {
    let status = match refusal {
        PictureRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        PictureRefusal::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(status, refusal.code(), refusal.to_string())
}

/// The picture under `key` as an answer; 404 when there is none.
pub(crate) async fn answer(state: &ApiState, key: Option<&str>, media_type: Option<&str>) -> Result<Response, Problem> {
    let (Some(key), Some(media_type)) = (key, media_type) else {
        return Err(Problem::not_found("picture"));
    };
    let bytes = state.files.get(key).await.map_err(|e| Problem::internal(&e))?;
    let bytes = bytes.ok_or_else(|| Problem::internal(&format!("the picture {key} is missing from the file store")))?;
    let headers =
        [(header::CONTENT_TYPE, media_type.to_owned()), (header::CACHE_CONTROL, "private, max-age=300".into())];
    Ok((headers, bytes).into_response())
}

/// Deletes a picture nothing names any more (a failure only leaves a stray file: logged, not answered).
pub(crate) async fn forget(state: &ApiState, key: &str) {
    if let Err(error) = state.files.delete(key).await {
        tracing::warn!(%error, key, "a picture nothing names was not deleted");
    }
}
