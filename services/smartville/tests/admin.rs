//! The administration API (`/v1/admin`), on both stacks: councils, their
//! staff, sign-in, who may do what, and the audit log.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, client_error, problem_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use smartville_engine::staff::create_tenant;
use smartville_store::ids::SchoolId;
use smartville_store::tenancy;

on_both_stacks!(
    a_council_admin_sets_a_password_logs_in_and_invites_staff,
    set_up_links_work_once,
    logins_are_refused_alike_and_limited,
    roles_and_tenants_bound_every_staff_route,
    staff_changes_and_removals_take_effect_at_once,
);

const PASSWORD: &str = "fietsen naar school";

/// A new council with its first admin, as `smartville tenant create` makes it; returns (tenant id, set-up token).
async fn new_council(app: &TestApp, name: &str, admin: &str) -> (String, String) {
    let (tenant, invitation) = create_tenant(&app.app_engine.store, name, "Testcoins", admin).await.unwrap();
    (tenant.id.to_string(), invitation.setup_token)
}

impl TestApp {
    async fn post(&self, token: Option<&str>, path: &str, body: Value) -> reqwest::Response {
        let request = self.client.post(self.url(path)).json(&body);
        let request = if let Some(token) = token { request.bearer_auth(token) } else { request };
        request.send().await.unwrap()
    }

    /// Sets the password with a set-up token; returns the session.
    async fn set_up(&self, token: &str) -> Value {
        let response = self.post(None, "/v1/admin/auth/setup", json!({"token": token, "password": PASSWORD})).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Invites a staff member, sets their password; returns their access token.
    async fn staff_member(&self, admin: &str, email: &str, role: &str, school: Option<&str>) -> String {
        let invited =
            self.post(Some(admin), "/v1/admin/staff", json!({"email": email, "role": role, "school_id": school})).await;
        assert_eq!(invited.status(), StatusCode::CREATED);
        let invitation: Value = invited.json().await.unwrap();
        let session = self.set_up(invitation["setup_token"].as_str().unwrap()).await;
        session["access_token"].as_str().unwrap().to_owned()
    }

    async fn school(&self, tenant: &str, name: &str) -> SchoolId {
        let mut tx = self.app_engine.store.begin().await.unwrap();
        let school = tenancy::create_school(&mut tx, &tenant.into(), name).await.unwrap();
        tx.commit().await.unwrap();
        school
    }
}

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
