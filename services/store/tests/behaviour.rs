//! One behavioural suite, run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use smartville_scoring::{Decision, Status};
use smartville_store::campaigns::{self, Audience, CampaignKind, CampaignStatus, NewCampaign};
use smartville_store::ids::{CampaignId, ParticipantId, TenantId, TripId};
use smartville_store::ledger::{self, Owner, Posted, Transfer};
use smartville_store::lifecycle::TripStatus;
use smartville_store::testing::TestDatabase;
use smartville_store::trips::{
    self, CountedRide, DecisionInputs, DecisionRecord, EarlierFingerprint, Inserted, NewTrip, ReplaySearch,
    StoredFingerprint,
};
use smartville_store::{
    Store, StoreError, outbox, participants, reports, schools, sessions, tenancy, test_on_both_backends,
};

test_on_both_backends!(
    migrations_are_idempotent,
    a_transfer_is_posted_once_per_id,
    wallets_and_budgets_never_go_negative,
    the_ledger_check_names_every_broken_rule,
    concurrent_payouts_never_exceed_the_budget,
    opposite_transfers_do_not_deadlock,
    campaign_budgets_move_by_funding_and_refund_transfers,
    trips_are_stored_once_per_idempotency_key,
    a_batch_of_submissions_gets_one_answer_each,
    a_batch_of_transfers_moves_each_account_once,
    a_decision_and_a_credit_are_recorded_once,
    trips_page_newest_first,
    replay_candidates_are_the_latest_rides_of_the_nearby_cells,
    settled_trips_are_found_in_batches_within_their_tenant,
    trips_waiting_for_their_next_step_are_found,
    the_outbox_hands_out_events_in_order_until_published,
    joining_enrols_in_the_tenants_campaigns,
    participants_who_joined_before_wallets_were_opened_at_join_get_one,
);

struct Town {
    store: Store,
    tenant: TenantId,
    coin: String,
    campaign: CampaignId,
}

async fn town(db: &TestDatabase, budget: i64) -> Town {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let tenant = tenancy::create_tenant(&mut tx, "Geel", "Geelcoins").await.unwrap();
    let new = NewCampaign {
        slug: "bike",
        name: "Bike to school",
        kind: CampaignKind::Rides,
        spec: "{}",
        status: CampaignStatus::Active,
        audience: &Audience::all_schools(),
        coin: None,
    };
    let campaign = campaigns::create(&mut tx, &tenant.id, &new).await.unwrap();
    campaigns::fund(&mut tx, &campaign, budget).await.unwrap();
    tx.commit().await.unwrap();
    Town { store, tenant: tenant.id, coin: tenant.coin, campaign: campaign.id }
}

impl Town {
    fn budget_account(&self) -> String {
        ledger::account_id(Owner::Campaign(&self.campaign), &self.coin)
    }

    async fn wallet(&self, participant: &str) -> String {
        let mut tx = self.store.begin().await.unwrap();
        let id = ledger::open_account(&mut tx, &self.tenant, Owner::Participant(&participant.into()), &self.coin)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn reward(&self, id: &str, wallet: &str, amount: i64) -> Result<Posted, StoreError> {
        let mut tx = self.store.begin().await?;
        let transfer = Transfer {
            id: id.to_owned(),
            debit_account: self.budget_account(),
            credit_account: wallet.to_owned(),
            amount,
            kind: "reward".into(),
            reference: id.to_owned(),
        };
        let posted = ledger::post(&mut tx, &self.tenant, &transfer).await?;
        tx.commit().await?;
        Ok(posted)
    }

    /// A search for the replay candidates of `participants` in no cell, up to ten of each kind.
    fn replay_search<'a>(&'a self, participants: &'a [&'a ParticipantId]) -> ReplaySearch<'a> {
        ReplaySearch { tenant_id: &self.tenant, participants, cells: &[], own_limit: 10, cell_limit: 10 }
    }

    async fn balance(&self, account: &str) -> i64 {
        ledger::balance(&self.store, &self.tenant, account).await.unwrap()
    }
}

async fn migrations_are_idempotent(db: TestDatabase) {
    let store = db.store().await;
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert!(tenancy::tenants(&store).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_url_scheme_is_an_error() {
    let error = Store::connect("mysql://localhost/engine").await.unwrap_err();
    assert!(matches!(error, StoreError::UnsupportedScheme(ref scheme) if scheme == "mysql"), "{error}");
}

async fn a_transfer_is_posted_once_per_id(db: TestDatabase) {
    let town = town(&db, 1_000).await;
    let wallet = town.wallet("ann").await;
    assert_eq!(town.reward("reward:trip-1", &wallet, 30).await.unwrap(), Posted::New);
    assert_eq!(town.reward("reward:trip-1", &wallet, 30).await.unwrap(), Posted::AlreadyPosted);
    assert!(matches!(town.reward("reward:trip-1", &wallet, 31).await, Err(StoreError::Conflict(_))));
    assert_eq!(town.balance(&wallet).await, 30);
    assert_eq!(town.balance(&town.budget_account()).await, 970);
    assert_eq!(ledger::balance_sum(&town.store, &town.tenant).await.unwrap(), 0);
    let entries = ledger::entries_of(&town.store, &town.tenant, Owner::Participant(&"ann".into()), 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].amount, entries[0].coin.as_str()), (30, "Geelcoins"));
}

async fn wallets_and_budgets_never_go_negative(db: TestDatabase) {
    let town = town(&db, 50).await;
    let ann = town.wallet("ann").await;
    let bob = town.wallet("bob").await;
    let error = town.reward("reward:too-much", &ann, 51).await.unwrap_err();
    assert!(matches!(error, StoreError::InsufficientFunds { balance: 50, needed: 51, .. }), "{error}");
    town.reward("reward:ok", &ann, 20).await.unwrap();
    // A wallet cannot pay more than it holds.
    let mut tx = town.store.begin().await.unwrap();
    let gift = Transfer {
        id: "gift:1".into(),
        debit_account: ann.clone(),
        credit_account: bob.clone(),
        amount: 21,
        kind: "gift".into(),
        reference: "test".into(),
    };
    assert!(matches!(ledger::post(&mut tx, &town.tenant, &gift).await, Err(StoreError::InsufficientFunds { .. })));
    drop(tx);
    assert_eq!((town.balance(&ann).await, town.balance(&bob).await), (20, 0));
    assert_eq!(town.balance(&town.budget_account()).await, 30);
    // The failed transfer left no trace: its id is still free.
    let mut tx = town.store.begin().await.unwrap();
    assert_eq!(ledger::post(&mut tx, &town.tenant, &Transfer { amount: 20, ..gift }).await.unwrap(), Posted::New);
    tx.commit().await.unwrap();
    assert_eq!(ledger::balance_sum(&town.store, &town.tenant).await.unwrap(), 0);
}

async fn concurrent_payouts_never_exceed_the_budget(db: TestDatabase) {
    let town = std::sync::Arc::new(town(&db, 100).await);
    let wallet = town.wallet("ann").await;
    let attempts: Vec<_> = (0..40)
        .map(|i| {
            let (town, wallet) = (town.clone(), wallet.clone());
            tokio::spawn(async move { town.reward(&format!("reward:{i}"), &wallet, 7).await })
        })
        .collect();
    let mut paid = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(Posted::New) => paid += 1,
            Err(StoreError::InsufficientFunds { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(paid, 100 / 7);
    assert_eq!(town.balance(&wallet).await, 7 * (100 / 7));
    assert_eq!(town.balance(&town.budget_account()).await, 100 % 7);
}

async fn opposite_transfers_do_not_deadlock(db: TestDatabase) {
    let town = std::sync::Arc::new(town(&db, 1_000).await);
    let ann = town.wallet("ann").await;
    let bob = town.wallet("bob").await;
    town.reward("seed:ann", &ann, 100).await.unwrap();
    town.reward("seed:bob", &bob, 100).await.unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (town, ann, bob) = (town.clone(), ann.clone(), bob.clone());
            tokio::spawn(async move {
                let (from, to) = if i % 2 == 0 { (ann, bob) } else { (bob, ann) };
                let mut tx = town.store.begin().await.unwrap();
                let transfer = Transfer {
                    id: format!("swap:{i}"),
                    debit_account: from,
                    credit_account: to,
                    amount: 1,
                    kind: "gift".into(),
                    reference: "t".into(),
                };
                ledger::post(&mut tx, &town.tenant, &transfer).await.unwrap();
                tx.commit().await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(town.balance(&ann).await + town.balance(&bob).await, 200);
    assert_eq!(ledger::balance_sum(&town.store, &town.tenant).await.unwrap(), 0);
}

async fn campaign_budgets_move_by_funding_and_refund_transfers(db: TestDatabase) {
    let town = town(&db, 100).await;
    let wallet = town.wallet("ann").await;
    town.reward("reward:1", &wallet, 60).await.unwrap();
    let fund = |change: i64| {
        let store = town.store.clone();
        let (tenant, campaign) = (town.tenant.clone(), town.campaign.clone());
        async move {
            let campaign = campaigns::campaign(&store, &tenant, &campaign).await.unwrap();
            let mut tx = store.begin().await.unwrap();
            let result = campaigns::fund(&mut tx, &campaign, change).await;
            if result.is_ok() {
                tx.commit().await.unwrap();
            }
            result
        }
    };
    assert_eq!(fund(150).await.unwrap(), 250);
    assert_eq!(town.balance(&town.budget_account()).await, 190);
    // 60 were paid out: the budget cannot give back more than the 190 it holds.
    assert!(matches!(fund(-200).await, Err(StoreError::InsufficientFunds { .. })));
    assert_eq!(fund(-190).await.unwrap(), 60);
    assert_eq!(town.balance(&town.budget_account()).await, 0);
    assert_eq!(campaigns::campaign(&town.store, &town.tenant, &town.campaign).await.unwrap().budget_funded, 60);
    assert_eq!(ledger::balance_sum(&town.store, &town.tenant).await.unwrap(), 0);
}

fn new_trip(town: &Town, participant: &str, key: &str, body: &str) -> NewTrip {
    NewTrip {
        id: TripId::new(),
        tenant_id: town.tenant.clone(),
        participant_id: participant.into(),
        campaign_id: town.campaign.clone(),
        idempotency_key: key.into(),
        body_hash: body.into(),
        trace: body.as_bytes().to_vec(),
        trace_format: "json".into(),
        submitted_at: 1_000,
        started_at: 100,
        ended_at: 900,
    }
}

async fn insert(town: &Town, trip: &NewTrip) -> Inserted {
    let mut tx = town.store.begin().await.unwrap();
    let inserted = trips::insert(&mut tx, trip).await.unwrap();
    tx.commit().await.unwrap();
    inserted
}

async fn trips_are_stored_once_per_idempotency_key(db: TestDatabase) {
    let town = town(&db, 100).await;
    let first = insert(&town, &new_trip(&town, "ann", "k1", "body-a")).await;
    let Inserted::New(stored) = first else { panic!("first insert is new") };
    assert_eq!(stored.status, TripStatus::Pending);
    let again = insert(&town, &new_trip(&town, "ann", "k1", "body-b")).await;
    assert_eq!(again, Inserted::Existing(stored.clone()), "the retry finds the first trip, with its body hash");
    // Another participant may use the same key.
    assert!(matches!(insert(&town, &new_trip(&town, "bob", "k1", "body-a")).await, Inserted::New(_)));
    let ids = [stored.id.clone(), "unknown".into()];
    let read = trips::with_traces(&town.store, &town.tenant, &ids).await.unwrap();
    assert_eq!(read.len(), 1, "unknown ids are left out");
    assert_eq!(
        (&read[0].trip, read[0].format.as_str(), read[0].trace.as_slice()),
        (&stored, "json", b"body-a".as_slice())
    );
    assert!(trips::with_traces(&town.store, &"another-tenant".into(), &ids).await.unwrap().is_empty());
}

async fn a_batch_of_submissions_gets_one_answer_each(db: TestDatabase) {
    let town = town(&db, 100).await;
    let Inserted::New(earlier) = insert(&town, &new_trip(&town, "ann", "k0", "body-0")).await else { panic!() };
    let batch = [
        new_trip(&town, "ann", "k1", "body-1"),
        new_trip(&town, "ann", "k0", "body-0"), // stored before the batch
        new_trip(&town, "bob", "k1", "body-2"),
        new_trip(&town, "ann", "k1", "body-3"), // the same key twice in one batch
    ];
    let mut tx = town.store.begin().await.unwrap();
    let answers = trips::insert_all(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    let [Inserted::New(first), again, Inserted::New(bobs), twice] = answers.as_slice() else {
        panic!("new, existing, new, existing: {answers:?}")
    };
    assert_eq!((first.id.as_str(), bobs.id.as_str()), (batch[0].id.as_str(), batch[2].id.as_str()));
    assert_eq!(again, &Inserted::Existing(earlier), "the trip stored before the batch");
    assert_eq!(twice, &Inserted::Existing(first.clone()), "the first of the batch with that key, with its body hash");
    let ids = [first.id.clone(), bobs.id.clone(), batch[3].id.clone()];
    let read = trips::with_traces(&town.store, &town.tenant, &ids).await.unwrap();
    let traces: Vec<&[u8]> = read.iter().map(|t| t.trace.as_slice()).collect();
    assert_eq!(traces, [b"body-1".as_slice(), b"body-2".as_slice()], "each new trip with its own trace, in id order");
    let mut tx = town.store.begin().await.unwrap();
    assert!(trips::insert_all(&mut tx, &[]).await.unwrap().is_empty());
}

async fn a_batch_of_transfers_moves_each_account_once(db: TestDatabase) {
    let town = town(&db, 100).await;
    let (ann, bob) = (town.wallet("ann").await, town.wallet("bob").await);
    let reward = |id: &str, wallet: &str, amount| Transfer {
        id: id.to_owned(),
        debit_account: town.budget_account(),
        credit_account: wallet.to_owned(),
        amount,
        kind: "reward".into(),
        reference: id.to_owned(),
    };
    let batch = [reward("r1", &ann, 30), reward("r2", &bob, 20), reward("r3", &ann, 10), reward("r1", &ann, 30)];
    let mut tx = town.store.begin().await.unwrap();
    let posted = ledger::post_all(&mut tx, &town.tenant, &batch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(posted, [Posted::New, Posted::New, Posted::New, Posted::AlreadyPosted], "the same id twice is a retry");
    assert_eq!((town.balance(&ann).await, town.balance(&bob).await), (40, 20));
    assert_eq!(town.balance(&town.budget_account()).await, 40);
    // A batch the budget cannot pay moves nothing and names the budget.
    let mut tx = town.store.begin().await.unwrap();
    let too_much = ledger::post_all(&mut tx, &town.tenant, &[reward("r4", &ann, 30), reward("r5", &bob, 30)]).await;
    let Err(StoreError::InsufficientFunds { account, balance: 40, needed: 60 }) = too_much else {
        panic!("the budget is short: {too_much:?}")
    };
    assert_eq!(account, town.budget_account());
    drop(tx);
    // A retry with other fields is a conflict.
    let mut tx = town.store.begin().await.unwrap();
    let changed = ledger::post_all(&mut tx, &town.tenant, &[reward("r1", &ann, 31)]).await;
    assert!(matches!(changed, Err(StoreError::Conflict(_))), "{changed:?}");
    drop(tx);
    assert_eq!((town.balance(&ann).await, town.balance(&bob).await), (40, 20));
    assert_eq!(ledger::balance_sum(&town.store, &town.tenant).await.unwrap(), 0);
}

async fn a_decision_and_a_credit_are_recorded_once(db: TestDatabase) {
    let town = town(&db, 100).await;
    let (ann, bob) = (ParticipantId::from("ann"), ParticipantId::from("bob"));
    let Inserted::New(trip) = insert(&town, &new_trip(&town, "ann", "k1", "b")).await else { panic!() };
    let Inserted::New(other) = insert(&town, &new_trip(&town, "ann", "k2", "b")).await else { panic!() };
    let (accepted, refused) = (verdict(Status::Accepted, 24), verdict(Status::Rejected, 0));
    let decision = DecisionRecord {
        trip_id: &trip.id,
        decision: &accepted,
        fingerprint: Some(StoredFingerprint { area_cell: 42, bytes: b"fp" }),
        decided_at: 2_000,
        campaign_version: 1,
        local_day: 20_794,
        route_cells: &[],
    };
    let rejected = DecisionRecord { trip_id: &other.id, decision: &refused, fingerprint: None, ..decision.clone() };
    let mut tx = town.store.begin().await.unwrap();
    let decided = trips::record_decisions(&mut tx, &town.tenant, &[decision.clone(), rejected]).await.unwrap();
    let mut both = vec![trip.id.clone(), other.id.clone()];
    both.sort();
    assert_eq!(decided, both);
    let more = verdict(Status::Accepted, 99);
    let again = DecisionRecord { decision: &more, ..decision.clone() };
    assert!(trips::record_decisions(&mut tx, &town.tenant, &[again]).await.unwrap().is_empty(), "decided once");
    let inputs = trips::decision_inputs(&mut tx, &town.tenant, &[&ann, &bob], 0, &[&town.budget_account(), "none"])
        .await
        .unwrap();
    let ride = CountedRide {
        participant_id: "ann".into(),
        campaign_id: town.campaign.clone(),
        started_at: 100,
        ended_at: 900,
        points: 24,
    };
    let expected = DecisionInputs {
        recent_rides: vec![ride],
        points_in_campaign: [((ann.clone(), town.campaign.clone()), 24)].into(),
        budgets: [(town.budget_account(), 100)].into(),
    };
    assert_eq!(inputs, expected, "the rejected ride does not count; unknown accounts are left out");
    let later = trips::decision_inputs(&mut tx, &town.tenant, &[&ann], 901, &[]).await.unwrap();
    assert!(later.recent_rides.is_empty(), "rides that ended before the window are left out");
    assert_eq!(later.points_in_campaign.len(), 1, "but count in the campaign total");
    let ids = [trip.id.clone(), other.id.clone()];
    let claims = trips::claim_credits(&mut tx, &town.tenant, &ids, 3_000).await.unwrap();
    let claimed: Vec<_> = claims.iter().map(|c| (c.id.as_str(), c.participant_id.as_str(), c.points)).collect();
    assert_eq!(claimed, [(trip.id.as_str(), "ann", 24)], "only the accepted trip is paid");
    assert!(trips::claim_credits(&mut tx, &town.tenant, &ids, 3_001).await.unwrap().is_empty(), "claimed once");
    tx.commit().await.unwrap();
    let claimed = trips::get(&town.store, &town.tenant, &trip.id).await.unwrap().unwrap();
    assert_eq!(claimed.paid_points, Some(24), "a claim pays the decided points");
    let mut tx = town.store.begin().await.unwrap();
    trips::pay_less(&mut tx, &town.tenant, &claims[0], 20).await.unwrap();
    tx.commit().await.unwrap();
    let stored = trips::get(&town.store, &town.tenant, &trip.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.points, stored.paid_points, stored.credited_at),
        (TripStatus::Accepted, 24, Some(20), Some(3_000)),
        "the ledger's shortfall beside scoring's decision"
    );
    assert_eq!(stored.decision, claimed.decision, "the decision is scoring's, untouched");
    assert_eq!(stored.decision, Some(accepted), "and reads back as it was decided");
    let day = reports::Scope {
        campaign_id: &town.campaign,
        from_day: 20_794,
        until_day: 20_794,
        reach: &reports::Reach::Campaign,
    };
    let (days, _) = reports::read(&town.store, &town.tenant, &day).await.unwrap();
    let f = days.iter().map(|d| (d.day, d.figures)).collect::<Vec<_>>();
    let counted = reports::DayFigures {
        riders_new_in_day: 1,
        riders_new_in_week: 1,
        riders_new_in_campaign: 1,
        accepted: 1,
        rejected: 1,
        review: 0,
        distance_m: 2_000,
        points: 24,
        paid_points: 20,
    };
    assert_eq!(f, [(20_794, counted)], "the reports count both decisions, the claim and the shortfall once");
    let total =
        trips::decision_inputs(&mut town.store.begin().await.unwrap(), &town.tenant, &[&ann], 0, &[]).await.unwrap();
    assert_eq!(total.points_in_campaign.values().sum::<i64>(), 20, "campaign totals count what was paid");
    let found = EarlierFingerprint {
        trip_id: trip.id.clone(),
        participant_id: "ann".into(),
        area_cell: 42,
        fingerprint: b"fp".to_vec(),
    };
    let (only_bob, only_ann) = ([&bob], [&ann]);
    let by_cell = ReplaySearch { cells: &[41, 42], ..town.replay_search(&only_bob) };
    let by_participant = town.replay_search(&only_ann);
    let both_ways = ReplaySearch { cells: &[42], ..by_participant };
    for search in [by_cell, by_participant, both_ways] {
        let earlier = trips::earlier_fingerprints(&mut town.store.begin().await.unwrap(), &search).await.unwrap();
        assert_eq!(
            earlier,
            std::slice::from_ref(&found),
            "by its cell, by its participant, and by both once: {search:?}"
        );
    }
    // Another tenant sees nothing of it.
    assert!(trips::get(&town.store, &"another-tenant".into(), &trip.id).await.unwrap().is_none());
}

async fn trips_page_newest_first(db: TestDatabase) {
    let town = town(&db, 100).await;
    let ids = trips_of(&town, "ann", 5).await;
    insert(&town, &new_trip(&town, "bob", "k0", "b")).await;
    let page = trips::list(&town.store, &town.tenant, &"ann".into(), None, 2).await.unwrap();
    assert_eq!(page.iter().map(|t| &t.id).collect::<Vec<_>>(), [&ids[4], &ids[3]]);
    let next = trips::list(&town.store, &town.tenant, &"ann".into(), Some(&ids[3]), 10).await.unwrap();
    assert_eq!(next.iter().map(|t| &t.id).collect::<Vec<_>>(), [&ids[2], &ids[1], &ids[0]]);
}

/// Stores a new trip of `participant` under idempotency key `key`; returns its id.
async fn stored_trip(town: &Town, participant: &str, key: &str) -> TripId {
    let Inserted::New(trip) = insert(town, &new_trip(town, participant, key, "b")).await else { panic!("a new trip") };
    trip.id
}

/// Ids of `count` new trips of `participant`, oldest first.
async fn trips_of(town: &Town, participant: &str, count: usize) -> Vec<TripId> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(stored_trip(town, participant, &format!("k{i}")).await);
    }
    ids
}

/// Scoring's decision with this verdict and points (the rest of a typical ride).
fn verdict(status: Status, points: u64) -> Decision {
    Decision {
        status,
        points,
        distance_m: 2_000,
        duration_s: 500,
        moving_time_s: 490,
        average_speed_kmh: 14.7,
        fixes_received: 500,
        fixes_dropped: 0,
        reasons: Vec::new(),
    }
}

/// Decides a stored trip (at 2 000), indexing a fingerprint in `cell` when given.
async fn decide(town: &Town, trip: &TripId, status: Status, cell: Option<i64>, bytes: &[u8]) {
    let decision = verdict(status, if status == Status::Accepted { 10 } else { 0 });
    let record = DecisionRecord {
        trip_id: trip,
        decision: &decision,
        fingerprint: cell.map(|area_cell| StoredFingerprint { area_cell, bytes }),
        decided_at: 2_000,
        campaign_version: 1,
        local_day: 20_794,
        route_cells: &[],
    };
    let mut tx = town.store.begin().await.unwrap();
    assert_eq!(trips::record_decisions(&mut tx, &town.tenant, &[record]).await.unwrap(), std::slice::from_ref(trip));
    tx.commit().await.unwrap();
}

/// What a replay search finds, as `participant:fingerprint`.
async fn found(town: &Town, search: ReplaySearch<'_>) -> Vec<String> {
    let found = trips::earlier_fingerprints(&mut town.store.begin().await.unwrap(), &search).await.unwrap();
    found.into_iter().map(|e| format!("{}:{}", e.participant_id, String::from_utf8(e.fingerprint).unwrap())).collect()
}

async fn replay_candidates_are_the_latest_rides_of_the_nearby_cells(db: TestDatabase) {
    let town = town(&db, 100).await;
    let rides = [("ann", 7), ("bob", 7), ("bob", 8), ("cid", 7), ("bob", 9), ("cid", 8), ("ann", 8), ("ann", 9)];
    for (i, (participant, cell)) in rides.into_iter().enumerate() {
        let trip = stored_trip(&town, participant, &format!("k{i}")).await;
        decide(&town, &trip, Status::Accepted, Some(cell), format!("fp{i}").as_bytes()).await;
    }
    let (ann, bob, another_tenant) =
        (ParticipantId::from("ann"), ParticipantId::from("bob"), TenantId::from("another"));
    let (only_ann, ann_and_bob) = ([&ann], [&ann, &bob]);
    let all = ReplaySearch { cells: &[7, 8], ..town.replay_search(&only_ann) };
    assert_eq!(
        found(&town, all).await,
        ["ann:fp7", "ann:fp6", "cid:fp5", "cid:fp3", "bob:fp2", "bob:fp1", "ann:fp0"],
        "all of ann's own, whatever the cell, and everyone's of cells 7 and 8, newest first, each once \
         (bob's in cell 9 left out)"
    );
    assert_eq!(
        found(&town, ReplaySearch { own_limit: 1, cell_limit: 2, ..all }).await,
        ["ann:fp7", "ann:fp6", "cid:fp5", "cid:fp3", "bob:fp1"],
        "ann's latest; the latest two of cell 7 (cid:fp3, bob:fp1) and of cell 8 (ann:fp6, cid:fp5)"
    );
    assert_eq!(found(&town, ReplaySearch { cells: &[9], participants: &[], ..all }).await, ["ann:fp7", "bob:fp4"]);
    assert_eq!(
        found(&town, ReplaySearch { cells: &[], participants: &ann_and_bob, ..all }).await,
        ["ann:fp7", "ann:fp6", "bob:fp4", "bob:fp2", "bob:fp1", "ann:fp0"]
    );
    assert!(found(&town, ReplaySearch { tenant_id: &another_tenant, ..all }).await.is_empty());
    assert!(found(&town, ReplaySearch { cells: &[], participants: &[], ..all }).await.is_empty());
}

async fn settled_trips_are_found_in_batches_within_their_tenant(db: TestDatabase) {
    let town = town(&db, 100).await;
    let ids = trips_of(&town, "ann", 4).await;
    // ids[0] stays pending; ids[1] is accepted and not credited yet; ids[2] is credited; ids[3] is rejected.
    decide(&town, &ids[1], Status::Accepted, None, b"").await;
    decide(&town, &ids[2], Status::Accepted, None, b"").await;
    decide(&town, &ids[3], Status::Rejected, None, b"").await;
    let mut tx = town.store.begin().await.unwrap();
    let asked = [ids[0].clone(), ids[2].clone(), ids[3].clone()];
    let claims = trips::claim_credits(&mut tx, &town.tenant, &asked, 3_000).await.unwrap();
    assert_eq!(claims.iter().map(|c| &c.id).collect::<Vec<_>>(), [&ids[2]], "not the pending or the rejected");
    tx.commit().await.unwrap();
    let mut wanted = ids.clone();
    wanted.push("unknown".into());
    let mut found: Vec<TripId> =
        trips::settled_among(&town.store, &town.tenant, &wanted).await.unwrap().into_iter().map(|t| t.id).collect();
    found.sort();
    assert_eq!(found, [ids[2].clone(), ids[3].clone()]);
    assert!(trips::settled_among(&town.store, &"another-tenant".into(), &wanted).await.unwrap().is_empty());
    assert!(trips::settled_among(&town.store, &town.tenant, &[]).await.unwrap().is_empty());
}

async fn trips_waiting_for_their_next_step_are_found(db: TestDatabase) {
    let town = town(&db, 100).await;
    let ids = trips_of(&town, "ann", 3).await;
    // ids[0] stays pending (submitted at 1 000); ids[1] is accepted at 2 000 and not credited; ids[2] is settled.
    decide(&town, &ids[1], Status::Accepted, None, b"").await;
    decide(&town, &ids[2], Status::Accepted, None, b"").await;
    let mut tx = town.store.begin().await.unwrap();
    trips::claim_credits(&mut tx, &town.tenant, &ids[2..], 3_000).await.unwrap();
    tx.commit().await.unwrap();
    let stuck = |cutoff| {
        let town = &town;
        async move {
            let mut found: Vec<(TripId, TripStatus)> =
                trips::stuck(&town.store, cutoff, 10).await.unwrap().into_iter().map(|t| (t.id, t.status)).collect();
            found.sort();
            found
        }
    };
    assert!(stuck(1_000).await.is_empty(), "nothing is stuck before it happened");
    assert_eq!(stuck(1_500).await, [(ids[0].clone(), TripStatus::Pending)]);
    assert_eq!(stuck(2_500).await, [(ids[0].clone(), TripStatus::Pending), (ids[1].clone(), TripStatus::Accepted)]);
}

async fn the_outbox_hands_out_events_in_order_until_published(db: TestDatabase) {
    let town = town(&db, 100).await;
    let mut tx = town.store.begin().await.unwrap();
    let first = outbox::enqueue(&mut tx, &town.tenant, "trips.submitted", "{\"n\":1}").await.unwrap();
    outbox::enqueue(&mut tx, &town.tenant, "trips.submitted", "{\"n\":2}").await.unwrap();
    tx.commit().await.unwrap();
    let waiting = outbox::waiting(&town.store, 10).await.unwrap();
    assert_eq!(waiting.iter().map(|e| e.payload.as_str()).collect::<Vec<_>>(), ["{\"n\":1}", "{\"n\":2}"]);
    assert_eq!(waiting[0].id, first);
    outbox::remove(&town.store, &waiting[..1]).await.unwrap();
    assert_eq!(outbox::depth(&town.store).await.unwrap(), 1);
    let left = outbox::waiting(&town.store, 10).await.unwrap();
    assert_eq!(left, waiting[1..]);
    outbox::remove(&town.store, &left).await.unwrap();
    assert_eq!(outbox::depth(&town.store).await.unwrap(), 0);
}

async fn joining_enrols_in_the_tenants_campaigns(db: TestDatabase) {
    let town = town(&db, 100).await;
    let mut tx = town.store.begin().await.unwrap();
    let school = schools::create_school(&mut tx, &town.tenant, "Demo school", None).await.unwrap().id;
    schools::create_class(&mut tx, &town.tenant, &school, "5A", "BIKE-5A").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = town.store.begin().await.unwrap();
    assert!(matches!(
        schools::create_class(&mut tx, &town.tenant, &school, "5B", "BIKE-5A").await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);
    let target = schools::find_join_code(&town.store, "BIKE-5A").await.unwrap().unwrap();
    assert!(schools::find_join_code(&town.store, "bike-5a").await.unwrap().is_none());
    let mut tx = town.store.begin().await.unwrap();
    let ann = participants::create_participant(&mut tx, &target, Some("ann")).await.unwrap();
    let holder = sessions::Holder::Participant(ann.clone());
    let token = sessions::create_refresh_token(&mut tx, &town.tenant, &holder, None, "hash", 9_999).await.unwrap();
    let rotated =
        sessions::create_refresh_token(&mut tx, &town.tenant, &holder, Some(&token), "hash2", 9_999).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(participants::enrollments(&town.store, &town.tenant, &ann).await.unwrap(), vec![town.campaign.clone()]);
    let wallets = ledger::balances_of(&town.store, &town.tenant, Owner::Participant(&ann)).await.unwrap();
    assert_eq!(wallets, [ledger::Balance { coin: town.coin.clone(), amount: 0 }], "an empty wallet from the start");
    let stored = sessions::refresh_token(&town.store, &town.tenant, &token).await.unwrap().unwrap();
    assert_eq!((&stored.holder, stored.revoked_at), (&holder, None));
    assert_eq!(stored.family_id, token, "a join starts a family named after its first token");
    let mut tx = town.store.begin().await.unwrap();
    assert!(sessions::revoke_refresh_token(&mut tx, &town.tenant, &token).await.unwrap());
    assert!(!sessions::revoke_refresh_token(&mut tx, &town.tenant, &token).await.unwrap());
    tx.commit().await.unwrap();
    let family = sessions::revoke_refresh_family(&town.store, &town.tenant, &token).await.unwrap();
    assert_eq!(family, 1, "the live token rotated from it is revoked with its family");
    let rotated = sessions::refresh_token(&town.store, &town.tenant, &rotated).await.unwrap().unwrap();
    assert!(rotated.revoked_at.is_some());
}

async fn participants_who_joined_before_wallets_were_opened_at_join_get_one(db: TestDatabase) {
    let store = db.store_at_version(20261128000002).await;
    let mut tx = store.begin().await.unwrap();
    let tenant = TenantId::from("geel");
    // A council, a school, a class and a participant as that schema stored them: no wallet.
    for statement in [
        "insert into tenants (id, name, coin, created_at) values ($1, 'Geel', 'Geelcoins', 0)",
        "insert into accounts (tenant_id, id, kind, owner_id, coin, balance, allow_negative) \
         values ($1, 'issuer:' || $1 || ':Geelcoins', 'issuer', $1, 'Geelcoins', 0, 1)",
        "insert into schools (tenant_id, id, name) values ($1, 'school', 'Demo school')",
        "insert into classes (tenant_id, id, school_id, name) values ($1, '5a', 'school', '5A')",
        "insert into participants (tenant_id, id, class_id, nickname, created_at) values ($1, 'ann', '5a', null, 0)",
    ] {
        sqlx::query(statement).bind(&tenant).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let ann = ParticipantId::from("ann");
    let wallets = || ledger::balances_of(&store, &tenant, Owner::Participant(&ann));
    assert!(wallets().await.unwrap().is_empty());
    store.migrate().await.unwrap();
    assert_eq!(wallets().await.unwrap(), [ledger::Balance { coin: "Geelcoins".into(), amount: 0 }]);
    // Under the id the ledger derives: a reward reaches it.
    let wallet = ledger::account_id(Owner::Participant(&ann), "Geelcoins");
    let transfer = Transfer {
        id: "gift".into(),
        debit_account: ledger::account_id(Owner::Issuer(&tenant), "Geelcoins"),
        credit_account: wallet.clone(),
        amount: 5,
        kind: "reward".into(),
        reference: "gift".into(),
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(ledger::post(&mut tx, &tenant, &transfer).await.unwrap(), Posted::New);
    tx.commit().await.unwrap();
    assert_eq!(ledger::balance(&store, &tenant, &wallet).await.unwrap(), 5);
}

async fn the_ledger_check_names_every_broken_rule(db: TestDatabase) {
    let town = town(&db, 1_000).await;
    let ann = town.wallet("ann").await;
    let Inserted::New(trip) = insert(&town, &new_trip(&town, "ann", "k1", "b")).await else { panic!("a new trip") };
    decide(&town, &trip.id, Status::Accepted, None, b"").await;
    let mut tx = town.store.begin().await.unwrap();
    let claim = trips::claim_credits(&mut tx, &town.tenant, std::slice::from_ref(&trip.id), 3_000).await.unwrap();
    let reward = Transfer {
        id: format!("reward:{}", trip.id),
        debit_account: town.budget_account(),
        credit_account: ann.clone(),
        amount: claim[0].points,
        kind: "reward".into(),
        reference: trip.id.to_string(),
    };
    ledger::post(&mut tx, &town.tenant, &reward).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ledger::check(&town.store).await.unwrap(), [], "a whole ledger");

    // Broken by hand, each rule is named with what breaks it.
    let pool = town.store.pool_for_tests();
    let breaks = [
        format!("update accounts set balance = balance + 5 where id = '{ann}'"),
        format!(
            "insert into transfers (tenant_id, id, debit_account, credit_account, amount, kind, reference, created_at) \
             values ('{}', 'reward:again', '{}', '{ann}', 10, 'reward', '{}', 0)",
            town.tenant,
            town.budget_account(),
            trip.id
        ),
        format!("update accounts set balance = -3 where id = '{}'", town.wallet("bob").await),
    ];
    for statement in &breaks {
        sqlx::query(sqlx::AssertSqlSafe(statement.as_str())).execute(pool).await.unwrap();
    }
    let found: Vec<(String, String, i64)> =
        ledger::check(&town.store).await.unwrap().into_iter().map(|v| (v.rule, v.subject, v.found)).collect();
    let bob = town.wallet("bob").await;
    assert!(found.contains(&("ACCOUNT_DISAGREES".into(), ann.clone(), 5 - 10)), "{found:?}");
    assert!(found.contains(&("ACCOUNT_DISAGREES".into(), town.budget_account(), 10)), "{found:?}");
    assert!(found.contains(&("ACCOUNT_DISAGREES".into(), bob.clone(), -3)), "{found:?}");
    assert!(found.contains(&("COIN_UNBALANCED".into(), town.coin.clone(), 5 - 3)), "{found:?}");
    assert!(found.contains(&("NEGATIVE_BALANCE".into(), bob, -3)), "{found:?}");
    assert!(found.contains(&("REWARD_NOT_ONCE".into(), trip.id.to_string(), 2)), "{found:?}");
    sqlx::query(sqlx::AssertSqlSafe(format!("update trips set status = 'rejected' where id = '{}'", trip.id)))
        .execute(pool)
        .await
        .unwrap();
    let rules: Vec<String> = ledger::check(&town.store).await.unwrap().into_iter().map(|v| v.rule).collect();
    assert_eq!(rules.iter().filter(|r| *r == "REWARD_WITHOUT_RIDE").count(), 2, "{rules:?}");
}
