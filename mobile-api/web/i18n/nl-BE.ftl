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
