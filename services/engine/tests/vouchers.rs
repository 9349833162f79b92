//! Vouchers against a real database (both backends): bought, redeemed,
//! cancelled, expired and settled, each once, however many try at once, and
//! the ledger whole after any mix of them.
#![allow(clippy::unwrap_used)]

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use smartville_bus::{Bus, BusConfig};
use smartville_engine::vouchers::{self, Counter, VoucherRefusal};
use smartville_engine::{DAY_MS, Engine, demo, settlements as settling};
use smartville_store::ids::{CampaignId, MerchantId, OfferId, ParticipantId, StaffId, TenantId};
use smartville_store::ledger::{self, Owner, Transfer};
use smartville_store::merchants::{self, AcceptedCoin, MerchantCategory, NewMerchant};
use smartville_store::offers::{self, NewOffer, OfferStatus};
use smartville_store::testing::TestDatabase;
use smartville_store::vouchers::VoucherStatus;
use smartville_store::{new_id, now_ms, test_on_both_backends};

test_on_both_backends!(
    a_voucher_holds_its_points_until_the_shop_redeems_it,
    two_hundred_counters_redeem_one_voucher_once,
    two_hundred_purchases_overdraw_neither_the_wallet_nor_the_stock,
    one_idempotency_key_buys_one_voucher,
    cancelled_and_expired_vouchers_give_points_and_stock_back,
    another_shops_voucher_and_a_forged_code_are_not_found,
    a_settlement_counts_each_voucher_once_and_is_paid_once,
    a_random_mix_of_everything_leaves_the_ledger_whole,
    the_ledger_check_names_each_broken_voucher_rule
);

/// The demo town with a shop of our own.
struct Town {
    engine: Engine,
    tenant_id: TenantId,
    campaign_id: CampaignId,
    coin: String,
    merchant_id: MerchantId,
    counter: StaffId,
    _db: TestDatabase,
}

impl Town {
    async fn new(db: TestDatabase) -> Self {
        let engine = Engine::new(db.store().await, Bus::in_process(BusConfig::default()), "");
        let demo = demo::seed(&engine).await.unwrap();
        let coin = smartville_store::tenancy::tenant(&engine.store, &demo.tenant_id).await.unwrap().coin;
        let merchant_id = shop(&engine, &demo.tenant_id, &coin, "Bakkerij").await;
        let (tenant_id, campaign_id, counter) = (demo.tenant_id, demo.campaign_id, StaffId::new());
        Self { engine, tenant_id, campaign_id, coin, merchant_id, counter, _db: db }
    }

    fn at_counter(&self) -> Counter<'_> {
        Counter { tenant_id: &self.tenant_id, merchant_id: &self.merchant_id, staff_id: &self.counter }
    }

    /// An approved offer of the shop.
    async fn offer(&self, price_points: i64, stock: i64, per_participant_limit: i64) -> OfferId {
        let now = now_ms();
        let new = NewOffer {
            title: "Croissant",
            description: "",
            coin: &self.coin,
            price_points,
            stock,
            valid_from: now - 1,
            valid_until: now + 90 * DAY_MS,
            per_participant_limit,
            voucher_days: 30,
        };
        let mut tx = self.engine.store.begin().await.unwrap();
        let offer = offers::propose(&mut tx, &self.tenant_id, &self.merchant_id, &new).await.unwrap();
        let (from, to) = (OfferStatus::Proposed, OfferStatus::Approved);
        offers::change_status(&mut tx, &self.tenant_id, &offer.id, from, to, None).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        offer.id
    }

    /// A participant whose wallet the campaign budget gave `points`.
    async fn student(&self, points: i64) -> ParticipantId {
        let id = ParticipantId::new();
        let mut tx = self.engine.store.begin().await.unwrap();
        ledger::open_account(&mut tx, &self.tenant_id, Owner::Participant(&id), &self.coin).await.unwrap();
        if points > 0 {
            let grant = Transfer {
                id: format!("grant:{id}"),
                debit_account: ledger::account_id(Owner::Campaign(&self.campaign_id), &self.coin),
                credit_account: ledger::account_id(Owner::Participant(&id), &self.coin),
                amount: points,
                kind: "grant".into(),
                reference: id.to_string(),
            };
            ledger::post(&mut tx, &self.tenant_id, &grant).await.unwrap();
        }
        tx.commit().await.unwrap();
        id
    }

    async fn wallet(&self, participant: &ParticipantId) -> i64 {
        let account = ledger::account_id(Owner::Participant(participant), &self.coin);
        ledger::balance(&self.engine.store, &self.tenant_id, &account).await.unwrap()
    }

    async fn stock_left(&self, offer: &OfferId) -> i64 {
        offers::get(&self.engine.store, &self.tenant_id, offer).await.unwrap().unwrap().stock_left
    }

    async fn ledger_is_whole(&self) {
        let violations = ledger::check(&self.engine.store).await.unwrap();
        assert!(violations.is_empty(), "the ledger is broken: {violations:#?}");
    }
}

/// A shop that takes `coin` at 10 cents a point.
async fn shop(engine: &Engine, tenant_id: &TenantId, coin: &str, name: &str) -> MerchantId {
    let new = NewMerchant { name, address: "Markt 2", location: None, category: MerchantCategory::Food };
    let mut tx = engine.store.begin().await.unwrap();
    let merchant = merchants::create(&mut tx, tenant_id, &new).await.unwrap();
    let accepted = AcceptedCoin { coin: coin.to_owned(), point_value_cents: 10 };
    merchants::accept_coin(&mut tx, tenant_id, &merchant.id, &accepted).await.unwrap();
    tx.commit().await.unwrap();
    merchant.id
}

async fn a_voucher_holds_its_points_until_the_shop_redeems_it(db: TestDatabase) {
    let town = Town::new(db).await;
    let offer = town.offer(40, 5, 1).await;
    let student = town.student(100).await;
    let bought = vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, "k1").await.unwrap();
    assert!(bought.new);
    let voucher = bought.voucher.voucher;
    assert_eq!(voucher.status, VoucherStatus::Pending);
    assert_eq!(voucher.code.len(), 19, "four groups of four: {}", voucher.code);
    assert_eq!((town.wallet(&student).await, town.stock_left(&offer).await), (60, 4));
    let held = ledger::account_id(Owner::Voucher(&voucher.id), &town.coin);
    assert_eq!(ledger::balance(&town.engine.store, &town.tenant_id, &held).await.unwrap(), 40);
    town.ledger_is_whole().await;

    // A second one is beyond the limit of one per student.
    let refused = vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, "k2").await.unwrap_err();
    assert!(matches!(refused, VoucherRefusal::LimitReached), "{refused:?}");

    // Typed in lower case with spaces, the code still reads.
    let typed = voucher.code.to_lowercase().replace('-', " ");
    let redeemed = vouchers::redeem(&town.engine, town.at_counter(), &typed).await.unwrap();
    assert_eq!(redeemed.voucher.status, VoucherStatus::Redeemed);
    assert_eq!(redeemed.voucher.value_cents, Some(400), "40 points at 10 cents");
    let takings = ledger::account_id(Owner::Merchant(&town.merchant_id), &town.coin);
    assert_eq!(ledger::balance(&town.engine.store, &town.tenant_id, &takings).await.unwrap(), 40);
    assert_eq!(ledger::balance(&town.engine.store, &town.tenant_id, &held).await.unwrap(), 0);
    let again = vouchers::redeem(&town.engine, town.at_counter(), &voucher.code).await.unwrap_err();
    let VoucherRefusal::AlreadyRedeemed(first) = again else { panic!("redeemed twice: {again:?}") };
    assert_eq!(first.voucher.redeemed_at, redeemed.voucher.redeemed_at);
    assert_eq!(first.merchant_name, "Bakkerij");
    // A redeemed voucher cannot be cancelled.
    let cancel = vouchers::cancel(&town.engine, &town.tenant_id, &student, &voucher.id).await.unwrap_err();
    assert!(matches!(cancel, VoucherRefusal::AlreadyRedeemed(_)), "{cancel:?}");
    town.ledger_is_whole().await;
}

async fn two_hundred_counters_redeem_one_voucher_once(db: TestDatabase) {
    let town = std::sync::Arc::new(Town::new(db).await);
    let offer = town.offer(30, 1, 1).await;
    let student = town.student(30).await;
    let code =
        vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, "once").await.unwrap().voucher.voucher.code;
    let mut counters = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (town, code) = (town.clone(), code.clone());
        counters.spawn(async move { vouchers::redeem(&town.engine, town.at_counter(), &code).await });
    }
    let (mut redeemed, mut told_when) = (0, 0);
    while let Some(answer) = counters.join_next().await {
        match answer.unwrap() {
            Ok(_) => redeemed += 1,
            Err(VoucherRefusal::AlreadyRedeemed(_)) => told_when += 1,
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!((redeemed, told_when), (1, 199));
    let takings = ledger::account_id(Owner::Merchant(&town.merchant_id), &town.coin);
    assert_eq!(ledger::balance(&town.engine.store, &town.tenant_id, &takings).await.unwrap(), 30);
    town.ledger_is_whole().await;
}

async fn two_hundred_purchases_overdraw_neither_the_wallet_nor_the_stock(db: TestDatabase) {
    let town = std::sync::Arc::new(Town::new(db).await);
    // The wallet pays for 10, the stock holds 7: 7 are sold.
    let scarce = town.offer(50, 7, 1_000).await;
    // The stock holds 500, the wallet pays for 10: 10 are sold.
    let plenty = town.offer(50, 500, 1_000).await;
    for (offer, sold) in [(scarce, 7), (plenty, 10)] {
        let student = town.student(500).await;
        let mut buyers = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (town, student, offer) = (town.clone(), student.clone(), offer.clone());
            buyers.spawn(async move {
                vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, &format!("key {n}")).await
            });
        }
        let mut bought = 0;
        while let Some(answer) = buyers.join_next().await {
            match answer.unwrap() {
                Ok(_) => bought += 1,
                Err(VoucherRefusal::SoldOut | VoucherRefusal::InsufficientPoints { .. }) => {}
                Err(other) => panic!("unexpected refusal: {other:?}"),
            }
        }
        assert_eq!(bought, sold);
        assert_eq!(town.wallet(&student).await, 500 - 50 * sold);
        let stock = offers::get(&town.engine.store, &town.tenant_id, &offer).await.unwrap().unwrap();
        assert_eq!(stock.stock_total - stock.stock_left, sold);
    }
    town.ledger_is_whole().await;
}

async fn one_idempotency_key_buys_one_voucher(db: TestDatabase) {
    let town = std::sync::Arc::new(Town::new(db).await);
    let offer = town.offer(20, 50, 50).await;
    let student = town.student(200).await;
    let mut retries = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (town, student, offer) = (town.clone(), student.clone(), offer.clone());
        retries.spawn(async move { vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, "tap").await });
    }
    let mut ids = std::collections::HashSet::new();
    let mut new = 0;
    while let Some(answer) = retries.join_next().await {
        let purchase = answer.unwrap().unwrap();
        new += usize::from(purchase.new);
        ids.insert(purchase.voucher.voucher.id);
    }
    assert_eq!((ids.len(), new), (1, 1));
    assert_eq!(town.wallet(&student).await, 180);
    // The same key for another offer is refused.
    let other = town.offer(20, 50, 50).await;
    let reused = vouchers::buy(&town.engine, &town.tenant_id, &student, &other, "tap").await.unwrap_err();
    assert!(matches!(reused, VoucherRefusal::KeyReused), "{reused:?}");
    town.ledger_is_whole().await;
}

async fn cancelled_and_expired_vouchers_give_points_and_stock_back(db: TestDatabase) {
    let town = Town::new(db).await;
    let offer = town.offer(25, 3, 3).await;
    let student = town.student(100).await;
    let buy = |key: &'static str| vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, key);
    let first = buy("a").await.unwrap().voucher.voucher;
    let second = buy("b").await.unwrap().voucher.voucher;
    assert_eq!((town.wallet(&student).await, town.stock_left(&offer).await), (50, 1));

    let cancelled = vouchers::cancel(&town.engine, &town.tenant_id, &student, &first.id).await.unwrap();
    assert_eq!(cancelled.voucher.status, VoucherStatus::Cancelled);
    assert_eq!((town.wallet(&student).await, town.stock_left(&offer).await), (75, 2));
    let again = vouchers::cancel(&town.engine, &town.tenant_id, &student, &first.id).await.unwrap_err();
    assert!(matches!(again, VoucherRefusal::Gone(VoucherStatus::Cancelled)), "{again:?}");
    let at_counter = vouchers::redeem(&town.engine, town.at_counter(), &first.code).await.unwrap_err();
    assert!(matches!(at_counter, VoucherRefusal::Gone(VoucherStatus::Cancelled)), "{at_counter:?}");
    // Someone else's voucher is not theirs to cancel.
    let stranger = town.student(0).await;
    let theirs = vouchers::cancel(&town.engine, &town.tenant_id, &stranger, &second.id).await.unwrap_err();
    assert!(matches!(theirs, VoucherRefusal::NotFound), "{theirs:?}");

    // Thirty-one days on, the sweep expires the second by itself, once.
    let later = now_ms() + 31 * DAY_MS;
    assert_eq!(vouchers::expire_due(&town.engine, later).await.unwrap(), 1);
    assert_eq!(vouchers::expire_due(&town.engine, later).await.unwrap(), 0);
    assert_eq!((town.wallet(&student).await, town.stock_left(&offer).await), (100, 3));
    let expired = vouchers::redeem(&town.engine, town.at_counter(), &second.code).await.unwrap_err();
    assert!(matches!(expired, VoucherRefusal::Gone(VoucherStatus::Expired)), "{expired:?}");
    town.ledger_is_whole().await;
}

async fn another_shops_voucher_and_a_forged_code_are_not_found(db: TestDatabase) {
    let town = Town::new(db).await;
    let offer = town.offer(10, 5, 1).await;
    let student = town.student(10).await;
    let code = vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, "k").await.unwrap().voucher.voucher.code;
    let other_shop = shop(&town.engine, &town.tenant_id, &town.coin, "Apotheek").await;
    let elsewhere = Counter { merchant_id: &other_shop, ..town.at_counter() };
    let mut forged = code.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    for (counter, typed) in [
        (elsewhere, code.clone()),
        (town.at_counter(), String::from_utf8(forged).unwrap()),
        (town.at_counter(), "0192f0c1-7a4e-7cc3".to_owned()),
        (town.at_counter(), String::new()),
    ] {
        let refused = vouchers::redeem(&town.engine, counter, &typed).await.unwrap_err();
        assert!(matches!(refused, VoucherRefusal::NotFound), "{typed:?}: {refused:?}");
    }
    // The voucher is still good at its own shop.
    vouchers::redeem(&town.engine, town.at_counter(), &code).await.unwrap();
}

async fn a_settlement_counts_each_voucher_once_and_is_paid_once(db: TestDatabase) {
    let town = Town::new(db).await;
    let offer = town.offer(30, 10, 10).await;
    let student = town.student(300).await;
    for key in ["a", "b", "c"] {
        let voucher = vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, key).await.unwrap().voucher;
        vouchers::redeem(&town.engine, town.at_counter(), &voucher.voucher.code).await.unwrap();
    }
    let admin = StaffId::new();
    let (tenant, merchant) = (&town.tenant_id, &town.merchant_id);
    let first = settling::close(&town.engine, tenant, &admin, merchant, &town.coin, now_ms()).await.unwrap();
    assert_eq!((first.vouchers, first.points, first.amount_cents), (3, 90, 900));
    // Closing again finds nothing new.
    let empty = settling::close(&town.engine, tenant, &admin, merchant, &town.coin, now_ms()).await.unwrap();
    assert_eq!((empty.vouchers, empty.points, empty.period_from), (0, 0, first.period_until));
    let statement = settling::statement(&town.engine.store, tenant, &first.id).await.unwrap().unwrap();
    assert_eq!(statement.lines.len(), 3);
    let kinds: Vec<&str> = statement.transfers.iter().map(|p| p.transfer.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "voucher_reserve").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "redemption").count(), 3);
    town.ledger_is_whole().await;

    let paid = settling::mark_paid(&town.engine, tenant, &admin, &first.id).await.unwrap().unwrap();
    assert!(paid.paid_at.is_some());
    assert!(settling::mark_paid(&town.engine, tenant, &admin, &first.id).await.unwrap().is_none());
    let takings = ledger::account_id(Owner::Merchant(merchant), &town.coin);
    assert_eq!(ledger::balance(&town.engine.store, tenant, &takings).await.unwrap(), 0);
    let statement = settling::statement(&town.engine.store, tenant, &first.id).await.unwrap().unwrap();
    assert_eq!(statement.transfers.iter().filter(|p| p.transfer.kind == "settlement").count(), 1);
    town.ledger_is_whole().await;
}

/// Students buy, cancel and spend while rides pay them and time runs out,
/// all at once in many tasks, chosen by a seeded random generator: the
/// ledger check finds nothing wrong, and every voucher ended in one state.
async fn a_random_mix_of_everything_leaves_the_ledger_whole(db: TestDatabase) {
    let town = std::sync::Arc::new(Town::new(db).await);
    let offers = [town.offer(15, 40, 3).await, town.offer(35, 25, 2).await, town.offer(60, 10, 1).await];
    let mut students = Vec::new();
    for _ in 0..6 {
        students.push(town.student(120).await);
    }
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..8u64 {
        let (town, offers, students) = (town.clone(), offers.clone(), students.clone());
        workers.spawn(async move {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5EED + worker);
            let mut mine = Vec::new();
            for step in 0..40 {
                let student = &students[rng.random_range(0..students.len())];
                match rng.random_range(0..10) {
                    0..=3 => {
                        let offer = &offers[rng.random_range(0..offers.len())];
                        let key = format!("{worker}-{step}");
                        if let Ok(p) = vouchers::buy(&town.engine, &town.tenant_id, student, offer, &key).await {
                            mine.push((student.clone(), p.voucher.voucher));
                        }
                    }
                    4..=5 if !mine.is_empty() => {
                        let (_, voucher) = &mine[rng.random_range(0..mine.len())];
                        let _ = vouchers::redeem(&town.engine, town.at_counter(), &voucher.code).await;
                    }
                    6 if !mine.is_empty() => {
                        let (owner, voucher) = &mine[rng.random_range(0..mine.len())];
                        let _ = vouchers::cancel(&town.engine, &town.tenant_id, owner, &voucher.id).await;
                    }
                    7 => {
                        let _ = vouchers::expire_due(&town.engine, now_ms() + 31 * DAY_MS).await.unwrap();
                    }
                    _ => {
                        // A ride pays the student more.
                        let grant = Transfer {
                            id: format!("ride:{}", new_id()),
                            debit_account: ledger::account_id(Owner::Campaign(&town.campaign_id), &town.coin),
                            credit_account: ledger::account_id(Owner::Participant(student), &town.coin),
                            amount: rng.random_range(5..40),
                            kind: "grant".into(),
                            reference: student.to_string(),
                        };
                        let mut tx = town.engine.store.begin().await.unwrap();
                        ledger::post(&mut tx, &town.tenant_id, &grant).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
    town.ledger_is_whole().await;
}

async fn the_ledger_check_names_each_broken_voucher_rule(db: TestDatabase) {
    let town = Town::new(db).await;
    let offer = town.offer(20, 5, 5).await;
    let student = town.student(100).await;
    let buy = |key: &'static str| vouchers::buy(&town.engine, &town.tenant_id, &student, &offer, key);
    let (pending, redeemed) = (buy("a").await.unwrap().voucher.voucher, buy("b").await.unwrap().voucher.voucher);
    vouchers::redeem(&town.engine, town.at_counter(), &redeemed.code).await.unwrap();
    let admin = StaffId::new();
    let settlement =
        settling::close(&town.engine, &town.tenant_id, &admin, &town.merchant_id, &town.coin, now_ms()).await.unwrap();
    town.ledger_is_whole().await;

    // Broken by hand, each rule is named with what breaks it.
    let pool = town.engine.store.pool_for_tests();
    let breaks = [
        // Marked redeemed without moving its points: they are still held, and never paid to the shop.
        format!("update vouchers set status = 'redeemed' where id = '{}'", pending.id),
        // One more sold than its vouchers say.
        format!("update offers set stock_left = stock_left - 1 where id = '{offer}'"),
        // Marked paid without the payment.
        format!("update settlements set paid_at = 1 where id = '{}'", settlement.id),
    ];
    for statement in &breaks {
        sqlx::query(sqlx::AssertSqlSafe(statement.as_str())).execute(pool).await.unwrap();
    }
    let found: Vec<(String, String, i64)> =
        ledger::check(&town.engine.store).await.unwrap().into_iter().map(|v| (v.rule, v.subject, v.found)).collect();
    assert!(found.contains(&("VOUCHER_HOLDS_WRONG".into(), pending.id.to_string(), 20)), "{found:?}");
    assert!(found.contains(&("VOUCHER_NOT_CLOSED_ONCE".into(), pending.id.to_string(), 0)), "{found:?}");
    assert!(found.contains(&("STOCK_DISAGREES".into(), offer.to_string(), 2)), "{found:?}");
    assert!(found.contains(&("SETTLEMENT_NOT_PAID_ONCE".into(), settlement.id.to_string(), 0)), "{found:?}");
    assert_eq!(found.len(), 4, "{found:?}");
}
