//! What the ledger claims: accepted trips not credited yet, each once, and what it paid for them.

use crate::ids::{CampaignId, ParticipantId, TenantId, TripId};
use crate::reports::{self, Change, CountedTrip, counted_columns};
use crate::sql::{self, BindAll};
use crate::{StoreError, Tx, status_sql};

/// What the ledger needs to credit a trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The trip.
    pub id: TripId,
    /// Who gets the reward.
    pub participant_id: ParticipantId,
    /// Whose budget pays it.
    pub campaign_id: CampaignId,
    /// Points decided.
    pub points: i64,
}

/// Marks the accepted, uncredited trips of a tenant among `ids` as credited
/// (at `at`, their points paid in full, as the reports count them) and
/// returns what to pay for each, in id order, in one statement.
/// Trips not accepted or credited already are left out. The caller posts the
/// transfers in the same transaction.
pub async fn claim_credits(
    tx: &mut Tx,
    tenant_id: &TenantId,
    ids: &[TripId],
    at: i64,
) -> Result<Vec<Claim>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!(
            "update trips set credited_at = $1, paid_points = points \
             where tenant_id = $2 and id in ({}) and credited_at is null and status = ",
            status_sql!(accepted),
            " returning ",
            counted_columns!()
        ),
        sql::list(3, ids.len())
    );
    let mut claimed =
        sql::query_as::<CountedTrip>(sql).bind(at).bind(tenant_id).bind_all(ids).fetch_all(&mut **tx).await?;
    claimed.sort_by(|a, b| a.id.cmp(&b.id));
    let paid = claimed.iter().map(|trip| (trip, Change::Paid(trip.points), &[][..]));
    reports::tally_trips(paid).write(tx, tenant_id).await?;
    Ok(claimed
        .into_iter()
        .map(|trip| Claim {
            id: trip.id,
            participant_id: trip.participant_id,
            campaign_id: trip.campaign_id,
            points: trip.points,
        })
        .collect())
}

/// Records that the ledger paid a claimed trip `paid` points, less than it
/// earned, because the campaign budget ran short. The decision stays as
/// scoring wrote it: the shortfall is the ledger's fact.
pub async fn pay_less(tx: &mut Tx, tenant_id: &TenantId, claim: &Claim, paid: i64) -> Result<(), StoreError> {
    sqlx::query("update trips set paid_points = $1 where tenant_id = $2 and id = $3")
        .bind(paid)
        .bind(tenant_id)
        .bind(&claim.id)
        .execute(&mut **tx)
        .await?;
    reports::count(tx, tenant_id, &[(&claim.id, Change::Paid(paid - claim.points))]).await
}
