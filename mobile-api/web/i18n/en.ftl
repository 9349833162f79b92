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
