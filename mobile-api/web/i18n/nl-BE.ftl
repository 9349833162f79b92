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
