//! The administration API (`/v1/admin`), on both stacks: councils, their
//! staff, sign-in, who may do what, and the audit log.
#![allow(clippy::unwrap_used)]

mod common;

use common::{PASSWORD, TestApp, client_error, demo_council_admin, new_council, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use smartville_store::schools;

on_both_stacks!(
    a_council_admin_sets_a_password_logs_in_and_invites_staff,
    set_up_links_work_once,
    logins_are_refused_alike_and_limited,
    roles_and_tenants_bound_every_staff_route,
    staff_changes_and_removals_take_effect_at_once,
    two_admins_removing_each_other_at_once_leave_one,
    every_admin_route_refuses_another_council_and_participants,
    schools_classes_and_join_codes_are_run_by_their_own_staff,
    zones_are_checked_and_every_problem_named,
    a_class_list_shows_nicknames_rides_and_points_only,
    a_campaign_file_is_checked_with_every_problem_named,
    a_campaigns_zones_come_back_as_the_h3_cells_that_decide,
);

async fn a_council_admin_sets_a_password_logs_in_and_invites_staff(app: &TestApp) {
    let (tenant, setup_token) = new_council(app, "Stad Mol", "Schepen@Mol.be").await;
    let session = app.set_up(&setup_token).await;
    assert_eq!(session["staff"]["email"], "schepen@mol.be");
    assert_eq!(session["staff"]["role"], "council_admin");
    assert_eq!(session["staff"]["active"], true);
    // Logging in with the new password (the e-mail in any case) gives a session too.
    let login = app.post(None, "/v1/admin/auth/login", json!({"email": "SCHEPEN@mol.be", "password": PASSWORD})).await;
    assert_eq!(login.status(), StatusCode::OK);
    let login: Value = login.json().await.unwrap();
    let admin = login["access_token"].as_str().unwrap();
    // The refresh token rotates, as a participant's does.
    let refreshed = app.post(None, "/v1/admin/auth/refresh", json!({"refresh_token": login["refresh_token"]})).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let (status, me) = app.get_json(admin, "/v1/admin/me").await;
    assert_eq!((status, me["email"].as_str()), (StatusCode::OK, Some("schepen@mol.be")));

    let school = app.school(&tenant, "Sint-Jan").await;
    let invited = app
        .post(
            Some(admin),
            "/v1/admin/staff",
            json!({"email": "juf.an@sintjan.be", "role": "teacher", "school_id": school}),
        )
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let invitation: Value = invited.json().await.unwrap();
    assert_eq!(invitation["staff"]["active"], false, "not active before a password is set");
    let teacher = app.set_up(invitation["setup_token"].as_str().unwrap()).await;
    assert_eq!(teacher["staff"]["school_id"], school.as_str());

    let (status, staff) = app.get_json(admin, "/v1/admin/staff").await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = staff.as_array().unwrap().iter().map(|s| s["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["schepen@mol.be", "juf.an@sintjan.be"]);

    // The audit log tells who did what: the command created the council, the admin invited the teacher.
    let (status, audit) = app.get_json(admin, "/v1/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["staff.set_password", "staff.invite", "staff.set_password", "staff.invite", "tenant.create"]);
    let invite = &entries[1];
    assert_eq!(invite["actor_id"], session["staff"]["id"]);
    assert_eq!(invite["after"]["email"], "juf.an@sintjan.be");
    assert_eq!(invite["after"]["role"], "teacher");
    assert!(invite["before"].is_null());
    assert_eq!(entries[4]["actor_id"], "system");
    // Pages follow one another without repeats.
    let (_, first) = app.get_json(admin, "/v1/admin/audit?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app.get_json(admin, &format!("/v1/admin/audit?limit=2&cursor={cursor}")).await;
    assert_eq!(second["entries"][0]["id"], entries[2]["id"]);
    let bad = app.client.get(app.url("/v1/admin/audit?limit=0")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(client_error(bad).await, "INVALID_LIMIT");

    // The same address cannot have a second account, and the scope must fit the role.
    let again =
        app.post(Some(admin), "/v1/admin/staff", json!({"email": "Juf.An@sintjan.be", "role": "auditor"})).await;
    assert_eq!((again.status(), problem_code(again).await.as_str()), (StatusCode::CONFLICT, "EMAIL_TAKEN"));
    for (body, code) in [
        (json!({"email": "x@mol.be", "role": "teacher"}), "SCHOOL_REQUIRED"),
        (json!({"email": "x@mol.be", "role": "auditor", "school_id": school}), "SCHOOL_NOT_ALLOWED"),
        (json!({"email": "x@mol.be", "role": "teacher", "school_id": uuid()}), "UNKNOWN_SCHOOL"),
        (json!({"email": "not an address", "role": "auditor"}), "INVALID_EMAIL"),
    ] {
        assert_eq!(client_error(app.post(Some(admin), "/v1/admin/staff", body).await).await, code);
    }
    let unknown_role = app.post(Some(admin), "/v1/admin/staff", json!({"email": "x@mol.be", "role": "mayor"})).await;
    assert_eq!(client_error(unknown_role).await, "MALFORMED_JSON");
}

fn uuid() -> String {
    smartville_store::ids::StaffId::new().to_string()
}

async fn set_up_links_work_once(app: &TestApp) {
    let (_, setup_token) = new_council(app, "Stad Geel", "admin@geel.be").await;
    let short = app.post(None, "/v1/admin/auth/setup", json!({"token": setup_token, "password": "short"})).await;
    assert_eq!(client_error(short).await, "WEAK_PASSWORD");
    // A forged secret does not spend the link.
    let (tenant, rest) = setup_token.split_once('.').unwrap();
    let (id, _) = rest.split_once('.').unwrap();
    let forged = format!("{tenant}.{id}.{}", "0".repeat(64));
    let refused = app.post(None, "/v1/admin/auth/setup", json!({"token": forged, "password": PASSWORD})).await;
    assert_eq!(
        (refused.status(), problem_code(refused).await.as_str()),
        (StatusCode::UNAUTHORIZED, "INVALID_SETUP_TOKEN")
    );
    app.set_up(&setup_token).await;
    let twice = app
        .post(None, "/v1/admin/auth/setup", json!({"token": setup_token, "password": "another long password"}))
        .await;
    assert_eq!(problem_code(twice).await, "INVALID_SETUP_TOKEN");
    let old_password =
        app.post(None, "/v1/admin/auth/login", json!({"email": "admin@geel.be", "password": PASSWORD})).await;
    assert_eq!(old_password.status(), StatusCode::OK, "the second use changed nothing");
}

async fn logins_are_refused_alike_and_limited(app: &TestApp) {
    let (_, setup_token) = new_council(app, "Stad Lier", "admin@lier.be").await;
    let login = |email: &str, password: &str| {
        app.post(None, "/v1/admin/auth/login", json!({"email": email, "password": password}))
    };
    // Before the password is set, nothing logs in.
    assert_eq!(problem_code(login("admin@lier.be", "").await).await, "INVALID_CREDENTIALS");
    app.set_up(&setup_token).await;
    let wrong_password = login("admin@lier.be", "not the password").await;
    let no_account = login("nobody@lier.be", "not the password").await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    let (a, b): (Value, Value) = (wrong_password.json().await.unwrap(), no_account.json().await.unwrap());
    assert_eq!(a, b, "a wrong password and an unknown address get the same answer");
    // Ten attempts per account in 15 minutes (the default), then 429, even with the right password.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(login("admin@lier.be", "guess guess guess").await.status());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let locked = login("admin@lier.be", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
}

async fn roles_and_tenants_bound_every_staff_route(app: &TestApp) {
    let (tenant, setup_token) = new_council(app, "Stad Turnhout", "admin@turnhout.be").await;
    let admin_session = app.set_up(&setup_token).await;
    let admin = admin_session["access_token"].as_str().unwrap();
    let school = app.school(&tenant, "Sint-Victor").await;
    let auditor = app.staff_member(admin, "audit@turnhout.be", "auditor", None).await;
    let teacher = app.staff_member(admin, "meester@sintvictor.be", "teacher", Some(school.as_str())).await;
    let (_, other_setup) = new_council(app, "Stad Herentals", "admin@herentals.be").await;
    let other_admin_session = app.set_up(&other_setup).await;
    let other_admin = other_admin_session["access_token"].as_str().unwrap();
    let (_, participant, _) = app.join().await;
    let member = admin_session["staff"]["id"].as_str().unwrap();

    // Every route, with who may and may not use it.
    let get = |path: &'static str| (reqwest::Method::GET, path.to_owned(), Value::Null);
    let routes = [
        get("/v1/admin/staff"),
        get("/v1/admin/audit"),
        (reqwest::Method::POST, "/v1/admin/staff".into(), json!({"email": "new@turnhout.be", "role": "auditor"})),
        (reqwest::Method::PATCH, format!("/v1/admin/staff/{member}"), json!({"role": "council_admin"})),
        (reqwest::Method::DELETE, format!("/v1/admin/staff/{member}"), Value::Null),
    ];
    let status = |token: String, (method, path, body): (reqwest::Method, String, Value)| async move {
        let request = app.client.request(method, app.url(&path)).bearer_auth(token);
        let request = if body.is_null() { request } else { request.json(&body) };
        request.send().await.unwrap().status()
    };
    for (i, route) in routes.iter().enumerate() {
        // A participant's token, and a teacher's, are refused everywhere here.
        assert_eq!(status(participant.clone(), route.clone()).await, StatusCode::FORBIDDEN, "{route:?}");
        assert_eq!(status(teacher.clone(), route.clone()).await, StatusCode::FORBIDDEN, "{route:?}");
        // An auditor reads, and changes nothing.
        let auditor_status = status(auditor.clone(), route.clone()).await;
        assert_eq!(auditor_status, if i < 2 { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{route:?}");
    }
    // Nor does a participant's token open the school and campaign routes.
    let school_classes = format!("/v1/admin/schools/{school}/classes");
    for path in ["/v1/admin/me", "/v1/admin/schools", "/v1/admin/campaigns", school_classes.as_str()] {
        assert_eq!(app.get_json(&participant, path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let validate = app.post(Some(&participant), "/v1/admin/campaigns/validate", json!({})).await;
    assert_eq!(validate.status(), StatusCode::FORBIDDEN);
    // Another council's admin sees only their own council, and cannot touch this one's staff.
    let (_, their_staff) = app.get_json(other_admin, "/v1/admin/staff").await;
    assert_eq!(their_staff.as_array().unwrap().len(), 1);
    let (_, their_audit) = app.get_json(other_admin, "/v1/admin/audit").await;
    assert!(their_audit["entries"].as_array().unwrap().iter().all(|e| !e.to_string().contains("turnhout")));
    assert_eq!(status(other_admin.to_owned(), routes[3].clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(status(other_admin.to_owned(), routes[4].clone()).await, StatusCode::NOT_FOUND);
    let foreign_school = json!({"email": "spy@herentals.be", "role": "teacher", "school_id": school});
    assert_eq!(
        client_error(app.post(Some(other_admin), "/v1/admin/staff", foreign_school).await).await,
        "UNKNOWN_SCHOOL"
    );
    // A staff token is refused on the participants' routes.
    let (wallet, _) = app.get_json(admin, "/v1/wallet").await;
    assert_eq!(wallet, StatusCode::FORBIDDEN);
    // A participant's refresh token does not open a staff session, nor a staff one a participant's.
    let (_, _, participant_refresh) = app.join().await;
    let crossed = app.post(None, "/v1/admin/auth/refresh", json!({"refresh_token": participant_refresh})).await;
    assert_eq!(crossed.status(), StatusCode::UNAUTHORIZED);
    let crossed = app.post(None, "/v1/auth/refresh", json!({"refresh_token": admin_session["refresh_token"]})).await;
    assert_eq!(crossed.status(), StatusCode::UNAUTHORIZED);
}

async fn staff_changes_and_removals_take_effect_at_once(app: &TestApp) {
    let (tenant, setup_token) = new_council(app, "Stad Hasselt", "admin@hasselt.be").await;
    let admin_session = app.set_up(&setup_token).await;
    let admin = admin_session["access_token"].as_str().unwrap();
    let admin_id = admin_session["staff"]["id"].as_str().unwrap();
    let school = app.school(&tenant, "Sint-Jozef").await;
    let colleague = app.staff_member(admin, "tweede@hasselt.be", "council_admin", None).await;
    let (_, colleague_me) = app.get_json(&colleague, "/v1/admin/me").await;
    let colleague_id = colleague_me["id"].as_str().unwrap();

    // The colleague becomes a school admin: their token stops working, and the log has before and after.
    let changed = app
        .client
        .patch(app.url(&format!("/v1/admin/staff/{colleague_id}")))
        .bearer_auth(admin)
        .json(&json!({"role": "school_admin", "school_id": school}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let (status, _) = app.get_json(&colleague, "/v1/admin/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old token named the old role");
    let (_, audit) = app.get_json(admin, "/v1/admin/audit?limit=1").await;
    let change = &audit["entries"][0];
    assert_eq!((change["action"].as_str(), change["subject"].as_str()), (Some("staff.change"), Some(colleague_id)));
    assert_eq!(
        (change["before"]["role"].as_str(), change["after"]["role"].as_str()),
        (Some("council_admin"), Some("school_admin"))
    );

    // The last council admin can neither demote nor remove themselves.
    let demote = app
        .client
        .patch(app.url(&format!("/v1/admin/staff/{admin_id}")))
        .bearer_auth(admin)
        .json(&json!({"role": "auditor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem_code(demote).await, "LAST_COUNCIL_ADMIN");
    let remove_self =
        app.client.delete(app.url(&format!("/v1/admin/staff/{admin_id}"))).bearer_auth(admin).send().await.unwrap();
    assert_eq!(problem_code(remove_self).await, "LAST_COUNCIL_ADMIN");

    // A removed member cannot log in, and their address is free again.
    let removed =
        app.client.delete(app.url(&format!("/v1/admin/staff/{colleague_id}"))).bearer_auth(admin).send().await.unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let login =
        app.post(None, "/v1/admin/auth/login", json!({"email": "tweede@hasselt.be", "password": PASSWORD})).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let (_, staff) = app.get_json(admin, "/v1/admin/staff").await;
    assert_eq!(staff.as_array().unwrap().len(), 1);
    let reinvited =
        app.post(Some(admin), "/v1/admin/staff", json!({"email": "tweede@hasselt.be", "role": "auditor"})).await;
    assert_eq!(reinvited.status(), StatusCode::CREATED);
}

/// A square of about 200 m around the demo school, as a GeoJSON Polygon.
fn square() -> Value {
    json!({"type": "Polygon", "coordinates": [[[4.990, 51.160], [4.993, 51.160], [4.993, 51.162], [4.990, 51.162], [4.990, 51.160]]]})
}

impl TestApp {
    async fn request(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self.client.request(method, self.url(path)).bearer_auth(token);
        let request = if let Some(body) = body { request.json(&body) } else { request };
        request.send().await.unwrap()
    }

    async fn join_with(&self, code: &str, nickname: &str) -> reqwest::Response {
        self.post(None, "/v1/auth/join", json!({"join_code": code, "nickname": nickname})).await
    }
}

async fn schools_classes_and_join_codes_are_run_by_their_own_staff(app: &TestApp) {
    use reqwest::Method;
    let (_, setup_token) = new_council(app, "Stad Mechelen", "admin@mechelen.be").await;
    let admin_session = app.set_up(&setup_token).await;
    let admin = admin_session["access_token"].as_str().unwrap();
    let created = app.post(Some(admin), "/v1/admin/schools", json!({"name": "Sint-Ursula", "zone": square()})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ursula: Value = created.json().await.unwrap();
    assert_eq!(ursula["zone"], square());
    let ursula = ursula["id"].as_str().unwrap().to_owned();
    let other: Value =
        app.post(Some(admin), "/v1/admin/schools", json!({"name": "De Regenboog"})).await.json().await.unwrap();
    let regenboog = other["id"].as_str().unwrap().to_owned();

    let school_admin = app.staff_member(admin, "directie@ursula.be", "school_admin", Some(&ursula)).await;
    let an = app.staff_member(admin, "an@ursula.be", "teacher", Some(&ursula)).await;
    let bert = app.staff_member(admin, "bert@ursula.be", "teacher", Some(&ursula)).await;
    let cas = app.staff_member(admin, "cas@regenboog.be", "teacher", Some(&regenboog)).await;
    let auditor = app.staff_member(admin, "audit@mechelen.be", "auditor", None).await;
    let id_of =
        |token: String| async move { app.get_json(&token, "/v1/admin/me").await.1["id"].as_str().unwrap().to_owned() };
    let (an_id, bert_id, cas_id) = (id_of(an.clone()).await, id_of(bert.clone()).await, id_of(cas.clone()).await);

    // The school admin makes the classes of their own school, and only there.
    let classes = format!("/v1/admin/schools/{ursula}/classes");
    let made = app.post(Some(&school_admin), &classes, json!({"name": "5A", "teacher_ids": [an_id]})).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let five_a: Value = made.json().await.unwrap();
    let first_code = five_a["join_code"]["code"].as_str().unwrap().to_owned();
    assert!(five_a["join_code"]["live"].as_bool().unwrap());
    let five_a = five_a["class"]["id"].as_str().unwrap().to_owned();
    let five_b: Value = app
        .post(Some(&school_admin), &classes, json!({"name": "5B", "teacher_ids": [bert_id]}))
        .await
        .json()
        .await
        .unwrap();
    let five_b = five_b["class"]["id"].as_str().unwrap().to_owned();
    let foreign_teacher = app.post(Some(&school_admin), &classes, json!({"name": "5C", "teacher_ids": [cas_id]})).await;
    assert_eq!(client_error(foreign_teacher).await, "UNKNOWN_TEACHER");
    let elsewhere =
        app.post(Some(&school_admin), &format!("/v1/admin/schools/{regenboog}/classes"), json!({"name": "1A"})).await;
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    let rename_other = app
        .request(Method::PATCH, &school_admin, &format!("/v1/admin/schools/{regenboog}"), Some(json!({"name": "X"})))
        .await;
    assert_eq!(rename_other.status(), StatusCode::FORBIDDEN);
    let rename_own = app
        .request(
            Method::PATCH,
            &school_admin,
            &format!("/v1/admin/schools/{ursula}"),
            Some(json!({"name": "Sint-Ursula Lier"})),
        )
        .await;
    assert_eq!(rename_own.status(), StatusCode::OK);
    // School staff see their own school only; a teacher their own classes only.
    let (_, seen) = app.get_json(&school_admin, "/v1/admin/schools").await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    let (_, an_sees) = app.get_json(&an, &classes).await;
    let names: Vec<&str> = an_sees.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["5A"]);
    let (status, _) = app.get_json(&an, &format!("/v1/admin/classes/{five_b}/participants")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another teacher's class");
    let (status, _) = app.get_json(&cas, &format!("/v1/admin/classes/{five_a}/participants")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another school's class");
    let changed_by_teacher =
        app.request(Method::PATCH, &an, &format!("/v1/admin/classes/{five_a}"), Some(json!({"name": "5A!"}))).await;
    assert_eq!(changed_by_teacher.status(), StatusCode::FORBIDDEN);
    // An auditor reads, and changes nothing.
    let (status, _) = app.get_json(&auditor, &format!("/v1/admin/classes/{five_a}/join-codes")).await;
    assert_eq!(status, StatusCode::OK);
    let codes = format!("/v1/admin/classes/{five_a}/join-codes");
    assert_eq!(app.post(Some(&auditor), &codes, json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.post(Some(&auditor), &classes, json!({"name": "6A"})).await.status(), StatusCode::FORBIDDEN);

    // Students join with the code; the teacher sees them by nickname.
    assert_eq!(app.join_with(&first_code, "ann").await.status(), StatusCode::CREATED);
    let (_, list) = app.get_json(&an, &format!("/v1/admin/classes/{five_a}/participants")).await;
    assert_eq!(list[0]["nickname"], "ann");
    assert_eq!((list[0]["rides_accepted"].as_i64(), list[0]["points"].as_i64()), (Some(0), Some(0)));
    // The teacher rotates the code, for one more student: the old code is refused, the new one works once.
    let rotated = app.post(Some(&an), &codes, json!({"max_uses": 1})).await;
    assert_eq!(rotated.status(), StatusCode::CREATED);
    let rotated: Value = rotated.json().await.unwrap();
    let new_code = rotated["code"].as_str().unwrap();
    let old = app.join_with(&first_code, "bo").await;
    assert_eq!((old.status(), problem_code(old).await.as_str()), (StatusCode::GONE, "JOIN_CODE_REVOKED"));
    assert_eq!(app.join_with(new_code, "bo").await.status(), StatusCode::CREATED);
    let used_up = app.join_with(new_code, "cor").await;
    assert_eq!((used_up.status(), problem_code(used_up).await.as_str()), (StatusCode::GONE, "JOIN_CODE_EXHAUSTED"));
    // A code with an expiry stops by itself; a revoked one at once; students who joined stay.
    let in_a_second = smartville_store::now_ms() + 1_000;
    let brief: Value = app
        .post(Some(&an), &codes, json!({"expires_at": in_a_second, "keep_others": true}))
        .await
        .json()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let late = app.join_with(brief["code"].as_str().unwrap(), "dina").await;
    assert_eq!(problem_code(late).await, "JOIN_CODE_EXPIRED");
    let past = app.post(Some(&an), &codes, json!({"expires_at": 1_000})).await;
    assert_eq!(client_error(past).await, "INVALID_JOIN_CODE_LIMITS");
    let fresh: Value = app.post(Some(&an), &codes, json!({})).await.json().await.unwrap();
    let fresh = fresh["code"].as_str().unwrap();
    let revoke = app.request(Method::DELETE, &an, &format!("{codes}/{fresh}"), None).await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    assert_eq!(problem_code(app.join_with(fresh, "eva").await).await, "JOIN_CODE_REVOKED");
    assert_eq!(
        app.request(Method::DELETE, &an, &format!("{codes}/{fresh}"), None).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, list) = app.get_json(&an, &format!("/v1/admin/classes/{five_a}/participants")).await;
    let nicknames: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["nickname"].as_str().unwrap()).collect();
    assert_eq!(nicknames, ["ann", "bo"]);
    let (_, all_codes) = app.get_json(&an, &codes).await;
    assert_eq!(all_codes.as_array().unwrap().iter().filter(|c| c["live"] == true).count(), 0);

    // Another council reaches none of it.
    let (_, other_setup) = new_council(app, "Stad Aalst", "admin@aalst.be").await;
    let outsider_session = app.set_up(&other_setup).await;
    let outsider = outsider_session["access_token"].as_str().unwrap();
    for path in [classes.clone(), format!("/v1/admin/classes/{five_a}/participants"), codes.clone()] {
        assert_eq!(app.get_json(outsider, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.post(Some(outsider), &codes, json!({})).await.status(), StatusCode::NOT_FOUND);
    let (_, their_schools) = app.get_json(outsider, "/v1/admin/schools").await;
    assert!(their_schools.as_array().unwrap().is_empty());
    // And the log tells who made what.
    let (_, audit) = app.get_json(admin, "/v1/admin/audit?limit=500").await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["school.create", "school.change", "class.create", "join_code.create", "join_code.revoke"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

async fn zones_are_checked_and_every_problem_named(app: &TestApp) {
    let (_, setup_token) = new_council(app, "Stad Genk", "admin@genk.be").await;
    let session = app.set_up(&setup_token).await;
    let admin = session["access_token"].as_str().unwrap();
    let bowtie =
        json!({"type": "Polygon", "coordinates": [[[0.0, 50.0], [1.0, 51.0], [1.0, 50.0], [0.0, 51.0], [0.0, 50.0]]]});
    let unclosed = json!({"type": "Polygon", "coordinates": [[[0.0, 50.0], [1.0, 50.0], [1.0, 51.0], [0.0, 51.0]]]});
    let empty = json!({"type": "MultiPolygon", "coordinates": []});
    let point = json!({"type": "Point", "coordinates": [4.99, 51.16]});
    for (zone, says) in [
        (bowtie, "self-intersection"),
        (unclosed, "polygon 0, ring 0 is not closed"),
        (empty, "empty"),
        (point, "Polygon or MultiPolygon"),
        (json!({"type": "Polygon"}), "not a GeoJSON geometry"),
    ] {
        let response = app.post(Some(admin), "/v1/admin/schools", json!({"name": "X", "zone": zone})).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "INVALID_ZONE");
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    let (_, schools) = app.get_json(admin, "/v1/admin/schools").await;
    assert!(schools.as_array().unwrap().is_empty(), "nothing stored");
}

async fn a_class_list_shows_nicknames_rides_and_points_only(app: &TestApp) {
    let class = schools::find_join_code(&app.app_engine.store, "GEEL-5A").await.unwrap().unwrap();
    let admin = &demo_council_admin(app).await;
    let joined = app.join_with("GEEL-5A", "ann").await;
    let ann: Value = joined.json().await.unwrap();
    let ride = app.upload_example(ann["access_token"].as_str().unwrap(), "ride-1").await;
    let ride: Value = ride.json().await.unwrap();
    assert_eq!(ride["status"], "accepted", "{ride}");
    app.join_with("GEEL-5A", "bo").await;

    let (status, list) = app.get_json(admin, &format!("/v1/admin/classes/{}/participants", class.class_id)).await;
    assert_eq!(status, StatusCode::OK);
    let members = list.as_array().unwrap();
    assert_eq!(members.len(), 2);
    let ann_row = &members[0];
    assert_eq!((ann_row["nickname"].as_str(), ann_row["rides_accepted"].as_i64()), (Some("ann"), Some(1)));
    assert_eq!(ann_row["points"], ride["points"]);
    assert_eq!((members[1]["nickname"].as_str(), members[1]["rides_accepted"].as_i64()), (Some("bo"), Some(0)));
    // Nicknames and counts only: nothing of where anyone rode.
    let keys: Vec<&String> = ann_row.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["nickname", "participant_id", "points", "rides_accepted", "rides_in_review"]);
}

async fn a_campaign_file_is_checked_with_every_problem_named(app: &TestApp) {
    let (_, setup_token) = new_council(app, "Stad Leuven", "admin@leuven.be").await;
    let session = app.set_up(&setup_token).await;
    let admin = session["access_token"].as_str().unwrap();
    let auditor = app.staff_member(admin, "audit@leuven.be", "auditor", None).await;
    let mut file: Value = serde_json::from_slice(include_bytes!("../../../examples/campaign.json")).unwrap();
    let check = |token: String, body: Value| async move {
        let response = app.post(Some(&token), "/v1/admin/campaigns/validate", body).await;
        let status = response.status();
        (status, response.json::<Value>().await.unwrap())
    };
    let (status, report) = check(admin.to_owned(), file.clone()).await;
    assert_eq!((status, &report), (StatusCode::OK, &json!({"valid": true, "problems": []})));

    // Impossible rules, a window ending before it starts and a crossed zone: all named at once.
    file["thresholds"] = json!({"min_speed_kmh": 40.0});
    file["schedule"]["windows"]["tue"][0]["until"] = json!("06:30");
    file["zones"]["features"][0]["geometry"]["coordinates"] =
        json!([[[4.9, 51.1], [5.0, 51.2], [5.0, 51.1], [4.9, 51.2], [4.9, 51.1]]]);
    let (_, report) = check(admin.to_owned(), file.clone()).await;
    assert_eq!(report["valid"], false);
    let fields: Vec<&str> =
        report["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["schedule.windows", "zones.features[0]", "thresholds"], "{report:#}");
    // Negative points: the field where reading stopped.
    let mut negative = file.clone();
    negative["reward"]["points_per_ride"] = json!(-10);
    let (_, report) = check(admin.to_owned(), negative).await;
    assert_eq!(report["problems"][0]["field"], "reward.points_per_ride", "{report:#}");
    // Only council admins manage campaigns.
    assert_eq!(check(auditor, file).await.0, StatusCode::FORBIDDEN);
}

async fn a_campaigns_zones_come_back_as_the_h3_cells_that_decide(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (status, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(campaigns.as_array().unwrap().len(), 1);
    let coverage_path = format!("/v1/admin/campaigns/{}/coverage", campaigns[0]["id"].as_str().unwrap());
    let (status, coverage) = app.get_json(&admin, &coverage_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(coverage["type"], "FeatureCollection");
    let features = coverage["features"].as_array().unwrap();
    let roles: Vec<&str> = features.iter().map(|f| f["properties"]["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["campaign_area", "school", "excluded"]);
    let school = &features[1];
    assert_eq!(school["properties"]["name"], "Demo school");
    let cells = school["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(cells.len() as u64, school["properties"]["cells"].as_u64().unwrap());
    // Every cell a closed hexagon (or pentagon), and together they cover the school's polygon.
    let (mut west, mut south, mut east, mut north) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for cell in cells {
        let ring = cell[0].as_array().unwrap();
        assert!(ring.len() >= 6, "five or more corners and the first again: {ring:?}");
        assert_eq!(ring.first(), ring.last());
        for corner in ring {
            let (lon, lat) = (corner[0].as_f64().unwrap(), corner[1].as_f64().unwrap());
            (west, south, east, north) = (west.min(lon), south.min(lat), east.max(lon), north.max(lat));
        }
    }
    assert!(west <= 4.9891 && east >= 4.9919 && south <= 51.1616 && north >= 51.1634, "{west} {south} {east} {north}");
    // Another council does not find it.
    let (_, other_setup) = new_council(app, "Stad Dilbeek", "admin@dilbeek.be").await;
    let outsider = app.set_up(&other_setup).await;
    let (status, _) = app.get_json(outsider["access_token"].as_str().unwrap(), &coverage_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn two_admins_removing_each_other_at_once_leave_one(app: &TestApp) {
    for round in 0..5 {
        let (_, setup_token) = new_council(app, &format!("Stad Diest {round}"), &format!("a{round}@diest.be")).await;
        let first = app.set_up(&setup_token).await;
        let first_token = first["access_token"].as_str().unwrap().to_owned();
        let second_token = app.staff_member(&first_token, &format!("b{round}@diest.be"), "council_admin", None).await;
        let (_, second) = app.get_json(&second_token, "/v1/admin/me").await;
        let remove = |token: &str, id: &Value| {
            app.client.delete(app.url(&format!("/v1/admin/staff/{}", id.as_str().unwrap()))).bearer_auth(token).send()
        };
        let (one, other) =
            tokio::join!(remove(&first_token, &second["id"]), remove(&second_token, &first["staff"]["id"]));
        let statuses = [one.unwrap().status(), other.unwrap().status()];
        // The second to run is refused (the council would have no admin left) or no longer signed in.
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::NO_CONTENT).count(), 1, "{statuses:?}");
        let survivor = if statuses[0] == StatusCode::NO_CONTENT { &first_token } else { &second_token };
        let (_, staff) = app.get_json(survivor, "/v1/admin/staff").await;
        let admins = staff.as_array().unwrap().iter().filter(|m| m["role"] == "council_admin" && m["active"] == true);
        assert_eq!(admins.count(), 1, "{staff:#}");
    }
}

/// Every route of the administration API, read from the OpenAPI document (so a new one is tried
/// too), with its path's ids naming one council's things: another council's admin is told none
/// of them exists, a participant and a shop's admin are refused, and the council's things are as they were.
async fn every_admin_route_refuses_another_council_and_participants(app: &TestApp) {
    let admin = demo_council_admin(app).await;
    let (_, participant, _) = app.join().await;
    let trip = app.upload_example(&participant, "ride").await.json::<Value>().await.unwrap();
    let (_, campaigns) = app.get_json(&admin, "/v1/admin/campaigns").await;
    let campaign = campaigns[0]["id"].as_str().unwrap().to_owned();
    let (_, schools) = app.get_json(&admin, "/v1/admin/schools").await;
    let school = schools[0]["id"].as_str().unwrap().to_owned();
    let (_, classes) = app.get_json(&admin, &format!("/v1/admin/schools/{school}/classes")).await;
    let class = classes[0]["id"].as_str().unwrap().to_owned();
    app.staff_member(&admin, "leraar@geel.be", "teacher", Some(&school)).await;
    let (_, staff) = app.get_json(&admin, "/v1/admin/staff").await;
    let member = staff.as_array().unwrap().iter().find(|m| m["email"] == "leraar@geel.be").unwrap()["id"].clone();
    let rules: Value = serde_json::from_str(smartville_engine::demo::CAMPAIGN).unwrap();
    let simulation: Value = app
        .post(Some(&admin), &format!("/v1/admin/campaigns/{campaign}/simulations"), json!({"rules": rules}))
        .await
        .json()
        .await
        .unwrap();
    let (_, merchants) = app.get_json(&admin, "/v1/admin/merchants").await;
    let merchant = merchants[0]["merchant_id"].as_str().unwrap().to_owned();
    let (_, offers) = app.get_json(&admin, "/v1/admin/offers").await;
    let offer = offers[0]["offer_id"].as_str().unwrap().to_owned();
    let settlement: Value = app
        .post(Some(&admin), &format!("/v1/admin/merchants/{merchant}/settlements"), json!({}))
        .await
        .json()
        .await
        .unwrap();
    let invited: Value = app
        .post(
            Some(&admin),
            "/v1/admin/staff",
            json!({"email": "winkel@geel.be", "role": "merchant_admin", "merchant_id": merchant}),
        )
        .await
        .json()
        .await
        .unwrap();
    let shop = app.set_up(invited["setup_token"].as_str().unwrap()).await["access_token"].as_str().unwrap().to_owned();
    let source: Value = app
        .post(Some(&admin), "/v1/admin/sources", json!({"name": "Weighing", "kinds": ["waste"]}))
        .await
        .json()
        .await
        .unwrap();
    let ids = [
        ("{source_id}", source["source_id"].as_str().unwrap().to_owned()),
        ("{key_id}", source["key_id"].as_str().unwrap().to_owned()),
        ("{merchant_id}", merchant),
        ("{offer_id}", offer),
        ("{settlement_id}", settlement["settlement_id"].as_str().unwrap().to_owned()),
        ("{coin}", "Geelcoins".to_owned()),
        ("{campaign_id}", campaign.clone()),
        ("{school_id}", school),
        ("{class_id}", class),
        ("{staff_id}", member.as_str().unwrap().to_owned()),
        ("{trip_id}", trip["trip_id"].as_str().unwrap().to_owned()),
        ("{simulation_id}", simulation["id"].as_str().unwrap().to_owned()),
        ("{code}", "GEEL-5A".to_owned()),
        ("{period}", "2026-11".to_owned()),
        ("{report_id}", "019ae3c1-2b3c-7d4e-8f5a-6b7c8d9e0f1a".to_owned()),
    ];
    let (_, setup) = new_council(app, "Stad Herentals", "admin@herentals.be").await;
    let outsider = app.set_up(&setup).await["access_token"].as_str().unwrap().to_owned();
    let before = app.get_json(&admin, &format!("/v1/admin/campaigns/{campaign}")).await.1;

    let document: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut tried = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        if !template.starts_with("/v1/admin/") || template.starts_with("/v1/admin/auth/") {
            continue;
        }
        let path = ids.iter().fold(template.clone(), |path, (name, id)| path.replace(name, id));
        let nothing = ids
            .iter()
            .fold(template.clone(), |path, (name, _)| path.replace(name, "019ad3a4-0000-7000-8000-000000000000"));
        for (method, operation) in item.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().map(|reference| {
                    let name = reference.trim_start_matches("#/components/schemas/");
                    document["components"]["schemas"][name]["examples"][0].clone()
                });
            let send = |token: &str, path: &str| {
                let request = app.client.request(method.clone(), app.url(path)).bearer_auth(token);
                let request = if let Some(body) = &body { request.json(body) } else { request };
                async move { request.send().await.unwrap().status() }
            };
            assert_eq!(send(&participant, &path).await, StatusCode::FORBIDDEN, "a participant on {method} {path}");
            if template != "/v1/admin/me" {
                assert_eq!(send(&shop, &path).await, StatusCode::FORBIDDEN, "a shop's admin on {method} {path}");
            }
            if template.contains('{') {
                // The council's things are, to another council, what ids that name nothing are.
                let (theirs, none) = (send(&outsider, &path).await, send(&outsider, &nothing).await);
                assert!(!theirs.is_success() && theirs == none, "another council on {method} {template}: {theirs}");
            }
            tried += 1;
        }
    }
    assert!(tried >= 30, "every admin route: {tried}");
    // Nothing of the council changed, and the other council's lists hold none of it.
    assert_eq!(app.get_json(&admin, &format!("/v1/admin/campaigns/{campaign}")).await.1, before);
    for list in ["/v1/admin/campaigns", "/v1/admin/schools", "/v1/admin/staff", "/v1/admin/reviews", "/v1/admin/audit"]
    {
        let (_, theirs) = app.get_json(&outsider, list).await;
        assert!(!theirs.to_string().contains(&campaign) && !theirs.to_string().contains("leraar@geel.be"), "{list}");
    }
}
