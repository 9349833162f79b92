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
