//! The administration API, `/v1/admin/...`: how a council and its schools
//! run their town without anyone touching the server.
//!
//! - [`access`]: who may do what, checked by the extractor every handler takes.
//! - [`auth`]: set-up links, login with e-mail and password, refresh.
//! - [`staff`]: the tenant's staff, invited, changed and removed by its council admins.
//! - [`campaigns`]: the council's campaigns: drafts, audience, lifecycle, versions of the rules, their
//!   zones' H3 coverage, campaign files checked before use.
//! - [`reports`]: a campaign's figures per day or week, as JSON or CSV.
//! - [`reviews`]: the review queue with appeals, and reviewers' decisions.
//! - [`simulations`]: draft rules tried on a campaign's recent rides, in the background.
//! - [`schools`]: schools and their zones, classes and their teachers, class lists, join codes.
//! - [`coins`]: the coins the council issues.
//! - [`merchants`]: merchants and the coins they take, their offers approved, settlements closed and
//!   paid, causes.
//! - [`sources`]: the data sources that send readings, with their API keys.
//! - [`households`]: the households readings are about, with the link codes for their residents.
//! - [`audit`]: what every staff member did, with the state before and after.

pub mod access;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod coins;
pub mod households;
pub mod merchants;
pub mod reports;
pub mod reviews;
pub mod schools;
pub mod simulations;
pub mod sources;
pub mod staff;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};

use crate::ApiState;

/// The administration routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/v1/admin/auth/setup", post(auth::setup))
        .route("/v1/admin/auth/login", post(auth::login))
        .route("/v1/admin/auth/refresh", post(auth::refresh))
        .route("/v1/admin/me", get(staff::me))
        .route("/v1/admin/staff", get(staff::list).post(staff::invite))
        .route("/v1/admin/staff/{staff_id}", patch(staff::change).delete(staff::remove))
        .route("/v1/admin/audit", get(audit::list))
        .route("/v1/admin/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/v1/admin/campaigns/validate", post(campaigns::validate))
        .route("/v1/admin/campaigns/{campaign_id}", get(campaigns::get))
        .route("/v1/admin/campaigns/{campaign_id}/rules", put(campaigns::change_rules))
        .route("/v1/admin/campaigns/{campaign_id}/audience", put(campaigns::set_audience))
        .route("/v1/admin/campaigns/{campaign_id}/activate", post(campaigns::activate))
        .route("/v1/admin/campaigns/{campaign_id}/pause", post(campaigns::pause))
        .route("/v1/admin/campaigns/{campaign_id}/close", post(campaigns::close))
        .route("/v1/admin/campaigns/{campaign_id}/funding", post(campaigns::fund))
        .route("/v1/admin/campaigns/{campaign_id}/periods/{period}/close", post(campaigns::close_period))
        .route("/v1/admin/campaigns/{campaign_id}/budget", get(campaigns::budget))
        .route("/v1/admin/campaigns/{campaign_id}/coverage", get(campaigns::coverage))
        .route("/v1/admin/campaigns/{campaign_id}/report", get(reports::report))
        .route("/v1/admin/campaigns/{campaign_id}/simulations", post(simulations::start))
        .route("/v1/admin/campaigns/{campaign_id}/simulations/{simulation_id}", get(simulations::get))
        .route("/v1/admin/coins", get(coins::list).post(coins::issue))
        .route("/v1/admin/merchants", get(merchants::list).post(merchants::create))
        .route("/v1/admin/merchants/{merchant_id}", get(merchants::get))
        .route("/v1/admin/merchants/{merchant_id}/coins/{coin}", put(merchants::set_coin))
        .route("/v1/admin/merchants/{merchant_id}/settlements", get(merchants::settlements).post(merchants::close))
        .route("/v1/admin/offers", get(merchants::offers))
        .route("/v1/admin/offers/{offer_id}/decision", post(merchants::decide_offer))
        .route("/v1/admin/offers/{offer_id}/picture", get(merchants::offer_picture))
        .route("/v1/admin/settlements/{settlement_id}", get(merchants::statement))
        .route("/v1/admin/settlements/{settlement_id}/paid", post(merchants::paid))
        .route("/v1/admin/causes", get(merchants::causes).post(merchants::create_cause))
        .route("/v1/admin/sources", get(sources::list).post(sources::register))
        .route("/v1/admin/sources/{source_id}/keys", post(sources::add_key))
        .route("/v1/admin/sources/{source_id}/keys/{key_id}", delete(sources::revoke_key))
        .route("/v1/admin/households", post(households::register))
        .route("/v1/admin/litter-reports", get(crate::litter::list))
        .route("/v1/admin/litter-reports/{report_id}/photo", get(crate::litter::photo))
        .route("/v1/admin/litter-reports/{report_id}/decision", post(crate::litter::decide))
        .route("/v1/admin/reviews", get(reviews::list))
        .route("/v1/admin/reviews/{trip_id}", get(reviews::get).post(reviews::decide))
        .route("/v1/admin/schools", get(schools::list).post(schools::create))
        .route("/v1/admin/schools/{school_id}", patch(schools::update))
        .route("/v1/admin/schools/{school_id}/classes", get(schools::classes).post(schools::create_class))
        .route("/v1/admin/classes/{class_id}", patch(schools::update_class))
        .route("/v1/admin/classes/{class_id}/participants", get(schools::participants))
        .route("/v1/admin/classes/{class_id}/join-codes", get(schools::join_codes).post(schools::create_join_code))
        .route("/v1/admin/classes/{class_id}/join-codes/{code}", delete(schools::revoke_join_code))
}
