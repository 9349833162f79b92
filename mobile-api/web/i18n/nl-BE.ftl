# The pages' texts in Dutch (nl-BE), the default language.
# Every text here has its English twin in en.ftl (a test checks both hold the same keys).

## Every page
language-name = Nederlands
language-switch = Taal
skip-to-content = Naar de inhoud

## The API reference (/docs)
docs-title = API-referentie
docs-intro = Alle routes van de Smartville-engine, met wat ze vragen en antwoorden. De beschrijvingen zijn in het Engels. Hetzelfde document voor programma's:
docs-contents = Inhoud
docs-schemas = Gegevensvormen
docs-auth-bearer = Aanmelden: een toegangstoken (Authorization: Bearer …).
docs-auth-api-key = Aanmelden: de API-sleutel van een gegevensbron (Authorization: Bearer svk_…).
docs-auth-none = Zonder aanmelden.
docs-parameters = Parameters
docs-request-body = Inhoud van de vraag
docs-responses = Antwoorden
docs-name = Naam
docs-in = Waar
docs-type = Type
docs-description = Beschrijving
docs-status = Status
docs-body = Inhoud
docs-field = Veld
docs-required = verplicht

## Pages that cannot be shown
not-found-title = Niet gevonden
not-found-text = Op dit adres staat geen pagina. Controleer het adres, of vraag het aan wie het u gaf.
failed-title = Er ging iets mis
failed-text = Het lukte ons niet om deze pagina te maken. Probeer het over een minuut opnieuw.

## A town's public dashboard (/open/{town})
open-title = Wat { $town } samen fietst
open-intro = Elke campagne van de gemeente met haar deelnemers, ritten, kilometers en vermeden CO2, week per week. Alleen totalen: niemand wordt genoemd.
open-no-campaigns = Er loopt nog geen campagne.
open-dates = Van { $from } tot en met { $until }
open-participants = Deelnemers
open-rides = Ritten
open-km = Kilometer
open-co2 = Vermeden CO2 (kg)
open-km-per-week = Kilometer per week
open-week-of = Week van
open-streets = Waar gefietst wordt
open-streets-count = { $cells ->
    [0] Nog geen straten: een stuk straat verschijnt zodra { $riders } verschillende deelnemers er fietsten. Begin- en eindpunten van ritten verschijnen nooit.
    [one] Eén stuk straat waar minstens { $riders } verschillende deelnemers fietsten. Begin- en eindpunten van ritten verschijnen nooit.
   *[other] { $cells } stukken straat waar minstens { $riders } verschillende deelnemers fietsten. Begin- en eindpunten van ritten verschijnen nooit.
}

## Aan- en afmelden, en weigeringen die elke aangemelde pagina kan tonen
navigation = Pagina's
sign-out = Afmelden
not-allowed-title = Geen toegang
not-allowed-text = Je account mag deze pagina niet openen. Meld je aan met een ander account, of vraag het aan de gemeente.
other-site-text = Dit formulier kwam van een andere website en is daarom niet uitgevoerd.
bad-form-title = Het formulier was onvolledig
bad-form-text = Er ontbrak iets in het formulier. Ga terug, vul elk veld in en verstuur het opnieuw.
login-title = Aanmelden
login-email = E-mailadres
login-password = Wachtwoord
login-submit = Aanmelden

## Weigeringen van de engine, per code
problem-invalid-credentials = Verkeerd e-mailadres of wachtwoord.
problem-rate-limited = Te veel pogingen. Wacht een minuut en probeer opnieuw.
problem-voucher-not-found = Geen enkele bon van deze winkel heeft deze code. Kijk de code na op tikfouten.
problem-already-redeemed = Deze bon werd al ingewisseld bij { $redeemed_where } op { $redeemed_at }.
problem-voucher-cancelled = De leerling heeft deze bon geannuleerd.
problem-voucher-expired = Deze bon is vervallen.

## De toonbank van een winkel (/shop)
shop-counter = Toonbank
shop-settlements = Afrekeningen
shop-valid = Geldig
shop-hand-over = Geef mee: { $offer }
shop-points = { $points } punten
shop-already-redeemed = Al ingewisseld
shop-not-valid = Niet geldig
shop-code = Code van de bon
shop-code-hint = Typ de code onder de QR-code; streepjes en spaties maken niet uit.
shop-redeem = Inwisselen
shop-scan = QR-code scannen
shop-camera = Camera
shop-today = Vandaag ingewisseld
shop-none-today = Vandaag nog niets ingewisseld.
shop-time = Tijd
shop-offer = Aanbod
shop-points-column = Punten
shop-value = Waarde
shop-unsettled = Nog niet afgerekend
shop-nothing-unsettled = Elke ingewisselde bon zit in een afrekening.
shop-owed = { $vouchers ->
    [one] Eén bon in { $coin }: { $amount }
   *[other] { $vouchers } bonnen in { $coin }: { $amount }
}
shop-statements = Afrekeningen met de gemeente
shop-no-statements = De gemeente heeft nog geen afrekening met deze winkel afgesloten.
shop-period = Periode
shop-vouchers = Bonnen
shop-paid = Betaald
shop-owed-yet = Nog niet
