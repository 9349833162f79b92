# The pages' texts in English. Every text here has its Dutch twin in nl-BE.ftl.

## Every page
language-name = English
language-switch = Language
skip-to-content = Skip to content

## The API reference (/docs)
docs-title = API reference
docs-intro = Every route of the Smartville engine, with what it asks and answers. The same document for programs:
docs-contents = Contents
docs-schemas = Schemas
docs-auth-bearer = Sign-in: an access token (Authorization: Bearer …).
docs-auth-api-key = Sign-in: a data source's API key (Authorization: Bearer svk_…).
docs-auth-none = No sign-in.
docs-parameters = Parameters
docs-request-body = Request body
docs-responses = Responses
docs-name = Name
docs-in = In
docs-type = Type
docs-description = Description
docs-status = Status
docs-body = Body
docs-field = Field
docs-required = required

## Pages that cannot be shown
not-found-title = Not found
not-found-text = There is no page at this address. Check the address, or ask whoever gave it to you.
failed-title = Something went wrong
failed-text = We could not make this page. Please try again in a minute.

## A town's public dashboard (/open/{town})
open-title = What { $town } rides together
open-intro = Every campaign of the council with its participants, rides, kilometres and CO2 avoided, week by week. Totals only: nobody is named.
open-no-campaigns = No campaign is running yet.
open-dates = From { $from } to { $until }
open-participants = Participants
open-rides = Rides
open-km = Kilometres
open-co2 = CO2 avoided (kg)
open-km-per-week = Kilometres per week
open-week-of = Week of
open-streets = Where people ride
open-streets-count = { $cells ->
    [0] No streets yet: a stretch of street shows once { $riders } different participants rode it. Where rides start and end never shows.
    [one] One stretch of street at least { $riders } different participants rode. Where rides start and end never shows.
   *[other] { $cells } stretches of street at least { $riders } different participants rode. Where rides start and end never shows.
}

## Signing in and out, and refusals every signed-in page may show
navigation = Pages
sign-out = Sign out
not-allowed-title = Not allowed
not-allowed-text = Your account may not open this page. Sign in with another account, or ask the council.
other-site-text = This form was sent from another website, so it was not carried out.
bad-form-title = The form was incomplete
bad-form-text = Something was missing from the form. Go back, fill in every field and send it again.
login-title = Sign in
login-email = E-mail address
login-password = Password
login-submit = Sign in

## Refusals of the engine, by their code
problem-invalid-credentials = Wrong e-mail address or password.
problem-rate-limited = Too many attempts. Wait a minute and try again.
problem-voucher-not-found = No voucher of this shop has this code. Check the code for typing mistakes.
problem-already-redeemed = This voucher was already redeemed at { $redeemed_where } on { $redeemed_at }.
problem-voucher-cancelled = The student cancelled this voucher.
problem-voucher-expired = This voucher has expired.

## A shop's counter (/shop)
shop-counter = Counter
shop-settlements = Settlements
shop-valid = Valid
shop-hand-over = Hand over: { $offer }
shop-points = { $points } points
shop-already-redeemed = Already redeemed
shop-not-valid = Not valid
shop-code = Voucher code
shop-code-hint = Type the code under the QR code; dashes and spaces do not matter.
shop-redeem = Redeem
shop-scan = Scan the QR code
shop-camera = Camera
shop-today = Redeemed today
shop-none-today = Nothing redeemed yet today.
shop-time = Time
shop-offer = Offer
shop-points-column = Points
shop-value = Value
shop-unsettled = Not settled yet
shop-nothing-unsettled = Every redeemed voucher is in a settlement.
shop-owed = { $vouchers ->
    [one] One voucher in { $coin }: { $amount }
   *[other] { $vouchers } vouchers in { $coin }: { $amount }
}
shop-statements = Settlements with the council
shop-no-statements = The council has not closed a settlement with this shop yet.
shop-period = Period
shop-vouchers = Vouchers
shop-paid = Paid
shop-owed-yet = Not yet

## The students' web app (/app)
app-name = Smartville: cycling to school
app-join-title = Join your class
app-join-intro = Type the code your teacher gave you. You do not need to give your name.
app-join-code = Class code
app-nickname = Nickname (optional)
app-nickname-hint = Not your real name: a nickname your friends would recognise, or nothing.
app-join-submit = Join
app-rides = My rides
app-upload = Add a ride
app-record = Record a ride
app-rewards = Rewards
app-vouchers = My vouchers
app-no-rides = No rides yet. Cycle to school and record your ride, or add it from a GPX file.
app-km = { $km } km
app-minutes = { $minutes } min
app-status-accepted = Your ride counts: { $points ->
    [one] 1 point
   *[other] { $points } points
}
app-status-rejected = This ride does not count
app-status-review = Someone is checking this ride
app-status-pending = We are still checking this ride
app-still-checking = This usually takes a few seconds.
app-look-again = Look again
app-why = Why
app-appeal = Your question about this ride
app-appeal-open = Someone from your school will look at it.
app-appeal-accepted = Looked at again: it counts after all.
app-appeal-rejected = Looked at again: it still does not count.
app-appeal-note = They wrote:
app-appeal-ask = Did you really ride this by bike? Tell us what happened.
app-appeal-send = Ask for another look
app-back-to-rides = Back to my rides
app-upload-intro = A GPX file of your ride, from a bike computer, a watch or another app.
app-upload-file = GPX file
app-upload-send = Add the ride
app-record-intro = Keep this page open while you ride. Your position is saved on your phone as you go and sent when you stop, also if you lost the connection on the way.
app-record-start = Start the ride
app-record-stop = I have arrived
app-record-recording = Recording… { $count } positions so far.
app-record-sending = Sending your ride…
app-record-kept = No connection: your ride is kept on this phone and sent as soon as you are online again.
app-record-denied = The browser may not use your location. Allow it in the browser's settings to record a ride.
app-record-unavailable = This browser cannot tell where you are. Use the phone app, or add a GPX file.
app-no-offers = No shop offers anything right now.
app-price = { $points } { $coin }
app-buy = Buy
app-buy-offer = Buy { $offer }
app-no-vouchers = No vouchers yet. Buy one with your points under Rewards.
app-show-code = Show this code at the counter:
app-qr = QR code of the voucher
app-valid-until = Valid until { $until }
app-voucher-redeemed = Used at the shop.
app-voucher-cancelled = Cancelled: your points came back.
app-voucher-expired = Expired: your points came back.
problem-unknown-join-code = No class has this code. Check it with your teacher.
problem-join-code-revoked = This code is no longer used. Ask your teacher for the new one.
problem-join-code-expired = This code has expired. Ask your teacher for a new one.
problem-join-code-exhausted = As many students joined with this code as it allows. Ask your teacher for a new one.
problem-insufficient-points = You do not have enough points for this yet: it costs { $price } and you have { $balance }.
problem-sold-out = This offer is sold out.
problem-limit-reached = You already have as many of these as one student may buy.
problem-not-on-sale = This offer is no longer on sale.
problem-not-enrolled = Your class takes part in no campaign right now, so rides cannot be added.
problem-already-appealed = You already asked about this ride once.
problem-appeal-window-closed = The time to ask about this ride is over.
problem-invalid-message = Write a few words about what happened (at most 500 characters).

## The reasons of a decision, for the student: what happened and what to do next time
reason-mock-location = Your phone said its location was faked by an app. Turn off apps that change your location.
reason-too-short = The ride was too short to count. Rides to school count from a few hundred metres.
reason-too-fast = You went faster than a bike can go for a long time, as in a car or a bus. Only rides by bike count.
reason-too-slow = You went as slowly as walking. Only rides by bike count.
reason-gap = Your phone stopped recording for a long time during the ride. Keep the app open during the whole ride.
reason-teleport = Your position jumped far in a moment, which a bike cannot do. Location accuracy was poor: keep your phone's location on "high accuracy".
reason-outside-area = The ride went outside the area of the campaign, or through a place it leaves out.
reason-not-to-school = The ride did not go to or from your school at this time of day.
reason-outside-time-window = Rides count only at the times the campaign set (before and after school).
reason-not-school-day = There was no school that day (a weekend or a holiday).
reason-outside-campaign-period = The campaign had not started yet, or was already over.
reason-duplicate = You already sent this exact ride.
reason-replay = This ride looks just like an earlier one. Each ride counts once.
reason-overlapping-ride = You already have another ride at the same time.
reason-daily-cap-reached = You reached today's maximum. Tomorrow your rides count again.
reason-weekly-cap-reached = You reached this week's maximum of points.
reason-monthly-cap-reached = You reached this month's maximum of points.
reason-campaign-cap-reached = You reached the maximum of points for this campaign. Well done!
reason-budget-exhausted = The campaign's points are all given out.
reason-distance-capped = Only part of this long ride earns points: the campaign counts up to a maximum distance per ride.
reason-activity-mismatch = Your phone thought you were in a car or walking for a good part of the ride.
reason-stop-and-go = The ride went in bursts, as a bus or a car moves between stops. Someone will check it.
reason-multiplied = Bonus: this ride earns extra points today.
reason-insufficient-data = There were too few meter readings for this period.
reason-no-baseline = There was nothing to compare this period with yet.
reason-below-threshold = The saving was too small to earn points this time.
reason-cap-reached = A maximum of the campaign lowered the points.

## The council's console (/admin)
console-campaigns = Campaigns
console-reviews = Review queue
console-map = Map of the zones
console-zone-campaign-area = Campaign area
console-zone-school = School
console-zone-excluded = Excluded zone
console-zone-cells = H3 cells that count as inside
console-new-campaign = New campaign
console-new-campaign-intro = Fill in the campaign's name, dates and budget, add its zones as a GeoJSON file (from QGIS or geojson.io, say), and adjust the other rules below. Check the file first; a saved campaign is a draft until you activate it.
console-no-campaigns = The council has no campaigns yet.
console-name = Name
console-kind = Kind
console-status = Status
console-funded = Funded
campaign-kind-rides = Rides to school
campaign-kind-savings = Savings
campaign-kind-litter = Litter reports
campaign-status-draft = Draft
campaign-status-active = Running
campaign-status-paused = Paused
campaign-status-closed = Closed
console-file-valid = The campaign file has no problems.
console-file-problems = { $count ->
    [one] The campaign file has a problem, shown at its field.
   *[other] The campaign file has { $count } problems, each shown at its field.
}
console-field-id = Identifier (letters, digits and dashes; it never changes)
console-field-name = Name
console-field-valid-from = First day
console-field-valid-until = Last day
console-field-budget-points = Budget (points)
console-field-zones = Zones (GeoJSON file)
console-zones-hint = A FeatureCollection whose features have the property "role": "campaign_area", "school" or "excluded". Leave it empty to keep the zones in the rules below.
console-field-rules = The other rules (JSON)
console-check = Check
console-save-draft = Save as draft
console-activate = Activate
console-pause = Pause
console-close = Close for good
console-audience = Who takes part
console-audience-which = Schools
console-all-schools = Every school of the council, also those added later
console-save-audience = Save who takes part
console-budget = Budget
console-paid = Paid
console-held = Held for rides in review
console-remaining = Remaining
console-runs-out = At the pace of the last 14 days ({ $per_day } points a day) the budget runs out on { $date }.
console-nothing-paid = Nothing was paid in the last 14 days, so there is no pace to forecast from.
console-runs-out-early = The budget runs out before the campaign ends on { $end }: fund it, or lower the rewards.
console-fund-points = Points to add to the budget
console-fund = Fund
console-versions = Versions of the rules
console-version = Version { $version }, made on { $made }
console-version-from = (in force from { $from })
console-no-reviews = No ride is waiting for a reviewer.
console-ride = Ride
console-student = Student
console-distance = Distance
console-kind-review = Doubt of the scoring
console-kind-appeal = Appeal of the student
console-decided-title = Decided already
console-decided-text = Someone decided this ride in the meantime. The review queue shows what is left.
console-ride-of = Ride of { $when }
console-reasons = Reasons
console-student-message = The student wrote
console-note = Note to the student (optional)
console-accept = Accept the ride
console-reject = Reject the ride
problem-covers-nobody = The campaign is for nobody yet: choose its schools under "Who takes part" first.
problem-campaign-state = The campaign cannot do this in its present state.
problem-campaign-exists = The council already has a campaign with this identifier.
problem-already-decided = Another reviewer decided this ride already.
problem-funding-out-of-range = Fund with a whole number of points, from 1 up.
console-schools = Schools
console-no-schools = No schools yet.
console-new-school = New school (its name)
console-add = Add
console-no-classes = This school has no classes yet.
console-no-live-code = No working join code: make a new one.
console-join-code = Join code:
console-code-uses = { $uses ->
    [one] used once
   *[other] used { $uses } times
}
console-poster-of = Poster of { $class } to print
console-new-code = New join code
console-new-code-for = New join code for { $class } (the old one stops working)
console-new-class = New class (its name)
console-poster-title = Poster of { $class }
console-poster-heading = Cycle to school and earn points!
console-poster-step-open = 1. Open the app, or on a phone or computer:
console-poster-step-code = 2. Join your class with this code:
console-poster-qr = QR code that opens the app with the class code filled in
console-poster-scan = Or scan this code with your phone's camera.
console-print = Print this page with your browser (Ctrl+P): it fits an A4 sheet.
console-report = Report with charts and CSV
console-report-of = Report: { $campaign }
console-from = From
console-until = Until
console-by = Per
console-by-day = day
console-by-week = week
console-show = Show
console-download-csv = Download as CSV (for a spreadsheet)
console-accepted = Rides accepted
console-rejected = Rides rejected
console-in-review = In review
console-rides-per-period = Rides accepted per period
console-km-per-period = Kilometres per period
console-burn-down = Budget running down
console-burn-down-text = Funded { $funded } points, paid { $paid }, { $remaining } left.
console-rejections-by-reason = Rejections by reason
console-no-rejections = No ride was rejected in this period.
console-reason = Reason
console-rides = Rides
console-per-period = Per period
console-period = Period
console-points-paid = Points paid
console-staff = Staff
console-audit = Audit log
console-whole-council = The whole council
console-invited = { $email } is invited. Send them this link: with it they choose their password (it works once).
console-role = Role
console-where = Where
console-actions = Actions
console-remove = Remove
console-remove-who = Remove { $email }
console-invite = Invite someone
console-school-for-role = School (for a school admin or a teacher)
console-send-invitation = Invite
console-when = When
console-who = Who
console-what = What
console-subject = Of what
console-older = Older entries
role-council-admin = Council admin
role-auditor = Auditor
role-school-admin = School admin
role-teacher = Teacher
role-merchant-admin = Shop owner
role-merchant-staff = Shop staff
setup-title = Choose your password
setup-intro = You were invited to Smartville. Choose a password to sign in with from now on.
setup-password-hint = 12 to 128 characters. A few words you remember make a strong password.
setup-submit = Save and sign in
problem-invalid-setup-token = This link is invalid, expired or already used. Ask whoever invited you for a new one.
problem-weak-password = The password must have 12 to 128 characters.
problem-email-taken = This e-mail address already has an account.
problem-last-council-admin = The council needs at least one council admin.
console-merchants = Shops
console-offers-waiting = Offers waiting for approval
console-no-offers-waiting = No offer is waiting for approval.
console-offer-note = Note to the shop (optional; say why when rejecting)
console-approve = Approve
console-reject-offer = Reject
console-shops = Shops taking the council's coin
console-no-shops = No shop takes part yet.
console-new-shop = New shop
console-address = Address
console-point-value = What the council pays the shop per point (euro cents)
console-coin-value = { $coin }: { $value } a point.
console-close-settlement = Close a settlement until now
console-mark-paid = Mark paid
console-statement-csv = Statement (CSV)
console-invite-shop-staff = Invite someone to the shop's counter
problem-invalid-point-value = A point's value is a whole number of cents, from 0 to 10,000.
console-ride-map = The ride, without its first and last 200 m
