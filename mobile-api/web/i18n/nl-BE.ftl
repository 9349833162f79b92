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

## De web-app van de leerlingen (/app)
app-name = Smartville: met de fiets naar school
app-join-title = Sluit je aan bij je klas
app-join-intro = Typ de code die je van je leerkracht kreeg. Je hoeft je naam niet te geven.
app-join-code = Klascode
app-nickname = Bijnaam (mag je leeg laten)
app-nickname-hint = Niet je echte naam: een bijnaam die je vrienden herkennen, of niets.
app-join-submit = Aansluiten
app-rides = Mijn ritten
app-upload = Rit toevoegen
app-record = Rit opnemen
app-rewards = Beloningen
app-vouchers = Mijn bonnen
app-no-rides = Nog geen ritten. Fiets naar school en neem je rit op, of voeg hem toe uit een GPX-bestand.
app-km = { $km } km
app-minutes = { $minutes } min
app-status-accepted = Je rit telt: { $points ->
    [one] 1 punt
   *[other] { $points } punten
}
app-status-rejected = Deze rit telt niet
app-status-review = Iemand bekijkt deze rit
app-status-pending = We bekijken deze rit nog
app-still-checking = Dat duurt meestal maar een paar seconden.
app-look-again = Opnieuw kijken
app-why = Waarom
app-appeal = Je vraag over deze rit
app-appeal-open = Iemand van je school bekijkt ze.
app-appeal-accepted = Opnieuw bekeken: de rit telt toch.
app-appeal-rejected = Opnieuw bekeken: de rit telt nog altijd niet.
app-appeal-note = Ze schreven:
app-appeal-ask = Heb je deze rit echt met de fiets gedaan? Vertel wat er gebeurde.
app-appeal-send = Vraag om opnieuw te bekijken
app-back-to-rides = Terug naar mijn ritten
app-upload-intro = Een GPX-bestand van je rit, van een fietscomputer, een horloge of een andere app.
app-upload-file = GPX-bestand
app-upload-send = Rit toevoegen
app-record-intro = Laat deze pagina open terwijl je fietst. Je positie wordt onderweg op je telefoon bewaard en verstuurd als je stopt, ook als je onderweg geen verbinding had.
app-record-start = Rit starten
app-record-stop = Ik ben er
app-record-recording = Bezig met opnemen… al { $count } posities.
app-record-sending = Je rit wordt verstuurd…
app-record-kept = Geen verbinding: je rit blijft op deze telefoon bewaard en wordt verstuurd zodra je weer online bent.
app-record-denied = De browser mag je locatie niet gebruiken. Sta het toe in de instellingen van de browser om een rit op te nemen.
app-record-unavailable = Deze browser weet niet waar je bent. Gebruik de app op je telefoon, of voeg een GPX-bestand toe.
app-no-offers = Geen enkele winkel heeft nu een aanbod.
app-price = { $points } { $coin }
app-buy = Kopen
app-buy-offer = { $offer } kopen
app-no-vouchers = Nog geen bonnen. Koop er een met je punten bij Beloningen.
app-show-code = Toon deze code aan de toonbank:
app-qr = QR-code van de bon
app-valid-until = Geldig tot { $until }
app-voucher-redeemed = Gebruikt in de winkel.
app-voucher-cancelled = Geannuleerd: je punten kwamen terug.
app-voucher-expired = Vervallen: je punten kwamen terug.
problem-unknown-join-code = Geen enkele klas heeft deze code. Kijk hem na met je leerkracht.
problem-join-code-revoked = Deze code wordt niet meer gebruikt. Vraag de nieuwe aan je leerkracht.
problem-join-code-expired = Deze code is vervallen. Vraag een nieuwe aan je leerkracht.
problem-join-code-exhausted = Er sloten al zoveel leerlingen aan met deze code als mag. Vraag een nieuwe aan je leerkracht.
problem-insufficient-points = Je hebt hiervoor nog niet genoeg punten: het kost { $price } en je hebt er { $balance }.
problem-sold-out = Dit aanbod is uitverkocht.
problem-limit-reached = Je hebt er al zoveel als één leerling mag kopen.
problem-not-on-sale = Dit aanbod is niet meer te koop.
problem-not-enrolled = Je klas doet nu aan geen enkele campagne mee, dus ritten kunnen niet worden toegevoegd.
problem-already-appealed = Je vroeg al een keer naar deze rit.
problem-appeal-window-closed = De tijd om naar deze rit te vragen is voorbij.
problem-invalid-message = Schrijf in een paar woorden wat er gebeurde (hoogstens 500 tekens).

## De redenen van een beslissing, voor de leerling: wat er gebeurde en wat je de volgende keer doet
reason-mock-location = Je telefoon meldde dat een app je locatie vervalste. Zet apps uit die je locatie veranderen.
reason-too-short = De rit was te kort om te tellen. Ritten naar school tellen vanaf een paar honderd meter.
reason-too-fast = Je ging lange tijd sneller dan een fiets kan, zoals in een auto of een bus. Alleen ritten met de fiets tellen.
reason-too-slow = Je ging zo traag als wandelen. Alleen ritten met de fiets tellen.
reason-gap = Je telefoon stopte lange tijd met opnemen tijdens de rit. Laat de app open tijdens de hele rit.
reason-teleport = Je positie sprong in een oogwenk ver weg, wat een fiets niet kan. De locatie was onnauwkeurig: zet de locatie van je telefoon op "hoge nauwkeurigheid".
reason-outside-area = De rit ging buiten het gebied van de campagne, of door een plek die ze uitsluit.
reason-not-to-school = De rit ging op dit uur niet naar of van je school.
reason-outside-time-window = Ritten tellen alleen op de uren die de campagne koos (voor en na school).
reason-not-school-day = Er was die dag geen school (een weekend of een vakantie).
reason-outside-campaign-period = De campagne was nog niet begonnen, of al voorbij.
reason-duplicate = Je stuurde precies deze rit al.
reason-replay = Deze rit lijkt precies op een eerdere. Elke rit telt één keer.
reason-overlapping-ride = Je hebt op hetzelfde moment al een andere rit.
reason-daily-cap-reached = Je haalde het maximum van vandaag. Morgen tellen je ritten weer.
reason-weekly-cap-reached = Je haalde het maximum aantal punten van deze week.
reason-monthly-cap-reached = Je haalde het maximum aantal punten van deze maand.
reason-campaign-cap-reached = Je haalde het maximum aantal punten van deze campagne. Goed gedaan!
reason-budget-exhausted = Alle punten van de campagne zijn uitgedeeld.
reason-distance-capped = Maar een deel van deze lange rit levert punten op: de campagne telt tot een maximale afstand per rit.
reason-activity-mismatch = Je telefoon dacht dat je een groot deel van de rit in een auto zat of wandelde.
reason-stop-and-go = De rit ging met horten en stoten, zoals een bus of een auto tussen haltes. Iemand bekijkt hem.
reason-multiplied = Bonus: deze rit levert vandaag extra punten op.
reason-insufficient-data = Er waren te weinig meterstanden voor deze periode.
reason-no-baseline = Er was nog niets om deze periode mee te vergelijken.
reason-below-threshold = De besparing was deze keer te klein voor punten.
reason-cap-reached = Een maximum van de campagne verlaagde de punten.

## De console van de gemeente (/admin)
console-campaigns = Campagnes
console-reviews = Na te kijken
console-map = Kaart van de zones
console-zone-campaign-area = Campagnegebied
console-zone-school = School
console-zone-excluded = Uitgesloten zone
console-zone-cells = H3-cellen die als binnen tellen
console-new-campaign = Nieuwe campagne
console-new-campaign-intro = Vul de naam, de data en het budget van de campagne in, voeg haar zones toe als GeoJSON-bestand (uit QGIS of geojson.io bijvoorbeeld) en pas de andere regels hieronder aan. Controleer het bestand eerst; een bewaarde campagne is een ontwerp tot je ze activeert.
console-no-campaigns = De gemeente heeft nog geen campagnes.
console-name = Naam
console-kind = Soort
console-status = Toestand
console-funded = Gefinancierd
campaign-kind-rides = Ritten naar school
campaign-kind-savings = Besparingen
campaign-kind-litter = Meldingen van zwerfvuil
campaign-status-draft = Ontwerp
campaign-status-active = Loopt
campaign-status-paused = Gepauzeerd
campaign-status-closed = Afgesloten
console-file-valid = Het campagnebestand heeft geen problemen.
console-file-problems = { $count ->
    [one] Het campagnebestand heeft een probleem, getoond bij zijn veld.
   *[other] Het campagnebestand heeft { $count } problemen, elk getoond bij zijn veld.
}
console-field-id = Code (letters, cijfers en streepjes; ze verandert nooit)
console-field-name = Naam
console-field-valid-from = Eerste dag
console-field-valid-until = Laatste dag
console-field-budget-points = Budget (punten)
console-field-zones = Zones (GeoJSON-bestand)
console-zones-hint = Een FeatureCollection waarvan de features de eigenschap "role" hebben: "campaign_area", "school" of "excluded". Laat leeg om de zones in de regels hieronder te houden.
console-field-rules = De andere regels (JSON)
console-check = Controleren
console-save-draft = Bewaren als ontwerp
console-activate = Activeren
console-pause = Pauzeren
console-close = Definitief afsluiten
console-audience = Wie doet mee
console-audience-which = Scholen
console-all-schools = Elke school van de gemeente, ook scholen die later bijkomen
console-save-audience = Bewaren wie meedoet
console-budget = Budget
console-paid = Uitbetaald
console-held = Vastgehouden voor ritten die nagekeken worden
console-remaining = Over
console-runs-out = Aan het tempo van de laatste 14 dagen ({ $per_day } punten per dag) is het budget op { $date } op.
console-nothing-paid = De laatste 14 dagen werd niets uitbetaald, dus er is geen tempo om mee te voorspellen.
console-runs-out-early = Het budget is op voor de campagne eindigt op { $end }: vul het aan, of verlaag de beloningen.
console-fund-points = Punten om aan het budget toe te voegen
console-fund = Financieren
console-versions = Versies van de regels
console-version = Versie { $version }, gemaakt op { $made }
console-version-from = (geldig vanaf { $from })
console-no-reviews = Er wacht geen enkele rit op een beoordeling.
console-ride = Rit
console-student = Leerling
console-distance = Afstand
console-kind-review = Twijfel van de beoordeling
console-kind-appeal = Bezwaar van de leerling
console-decided-title = Al beslist
console-decided-text = Iemand besliste intussen over deze rit. De lijst van na te kijken ritten toont wat overblijft.
console-ride-of = Rit van { $when }
console-reasons = Redenen
console-student-message = De leerling schreef
console-note = Bericht aan de leerling (mag leeg)
console-accept = Rit goedkeuren
console-reject = Rit afwijzen
problem-covers-nobody = De campagne is nog voor niemand: kies eerst haar scholen bij "Wie doet mee".
problem-campaign-state = De campagne kan dit niet in haar huidige toestand.
problem-campaign-exists = De gemeente heeft al een campagne met deze code.
problem-already-decided = Een andere beoordelaar besliste al over deze rit.
problem-funding-out-of-range = Financier met een geheel aantal punten, vanaf 1.
console-schools = Scholen
console-no-schools = Nog geen scholen.
console-new-school = Nieuwe school (haar naam)
console-add = Toevoegen
console-no-classes = Deze school heeft nog geen klassen.
console-no-live-code = Geen werkende klascode: maak een nieuwe.
console-join-code = Klascode:
console-code-uses = { $uses ->
    [one] één keer gebruikt
   *[other] { $uses } keer gebruikt
}
console-poster-of = Affiche van { $class } om af te drukken
console-new-code = Nieuwe klascode
console-new-code-for = Nieuwe klascode voor { $class } (de oude werkt niet meer)
console-new-class = Nieuwe klas (haar naam)
console-poster-title = Affiche van { $class }
console-poster-heading = Fiets naar school en verdien punten!
console-poster-step-open = 1. Open de app, of op een telefoon of computer:
console-poster-step-code = 2. Sluit je aan bij je klas met deze code:
console-poster-qr = QR-code die de app opent met de klascode al ingevuld
console-poster-scan = Of scan deze code met de camera van je telefoon.
console-print = Druk deze pagina af met je browser (Ctrl+P): ze past op een A4-blad.
console-report = Rapport met grafieken en CSV
console-report-of = Rapport: { $campaign }
console-from = Van
console-until = Tot en met
console-by = Per
console-by-day = dag
console-by-week = week
console-show = Tonen
console-download-csv = Downloaden als CSV (voor een rekenblad)
console-accepted = Ritten goedgekeurd
console-rejected = Ritten afgewezen
console-in-review = Na te kijken
console-rides-per-period = Goedgekeurde ritten per periode
console-km-per-period = Kilometers per periode
console-burn-down = Verbruik van het budget
console-burn-down-text = Gefinancierd { $funded } punten, uitbetaald { $paid }, { $remaining } over.
console-rejections-by-reason = Afwijzingen per reden
console-no-rejections = In deze periode werd geen enkele rit afgewezen.
console-reason = Reden
console-rides = Ritten
console-per-period = Per periode
console-period = Periode
console-points-paid = Uitbetaalde punten
console-staff = Medewerkers
console-audit = Logboek
console-whole-council = De hele gemeente
console-invited = { $email } is uitgenodigd. Stuur deze link: daarmee kiest die een wachtwoord (hij werkt één keer).
console-role = Rol
console-where = Waar
console-actions = Acties
console-remove = Verwijderen
console-remove-who = { $email } verwijderen
console-invite = Iemand uitnodigen
console-school-for-role = School (voor een schoolbeheerder of een leerkracht)
console-send-invitation = Uitnodigen
console-when = Wanneer
console-who = Wie
console-what = Wat
console-subject = Waarvan
console-older = Oudere regels
role-council-admin = Beheerder van de gemeente
role-auditor = Auditor
role-school-admin = Schoolbeheerder
role-teacher = Leerkracht
role-merchant-admin = Winkeluitbater
role-merchant-staff = Winkelmedewerker
setup-title = Kies je wachtwoord
setup-intro = Je werd uitgenodigd voor Smartville. Kies een wachtwoord om voortaan mee aan te melden.
setup-password-hint = 12 tot 128 tekens. Een paar woorden die je onthoudt, maken een sterk wachtwoord.
setup-submit = Bewaren en aanmelden
problem-invalid-setup-token = Deze link is ongeldig, vervallen of al gebruikt. Vraag een nieuwe aan wie je uitnodigde.
problem-weak-password = Het wachtwoord moet 12 tot 128 tekens hebben.
problem-email-taken = Dit e-mailadres heeft al een account.
problem-last-council-admin = De gemeente heeft minstens één beheerder nodig.
console-merchants = Winkels
console-offers-waiting = Aanbod dat op goedkeuring wacht
console-no-offers-waiting = Er wacht geen aanbod op goedkeuring.
console-offer-note = Bericht aan de winkel (mag leeg; zeg waarom bij een afwijzing)
console-approve = Goedkeuren
console-reject-offer = Afwijzen
console-shops = Winkels die de munt van de gemeente aanvaarden
console-no-shops = Nog geen enkele winkel doet mee.
console-new-shop = Nieuwe winkel
console-address = Adres
console-point-value = Wat de gemeente de winkel per punt betaalt (eurocent)
console-coin-value = { $coin }: { $value } per punt.
console-close-settlement = Een afrekening afsluiten tot nu
console-mark-paid = Betaald
console-statement-csv = Afrekening (CSV)
console-invite-shop-staff = Iemand uitnodigen voor de toonbank van de winkel
problem-invalid-point-value = De waarde van een punt is een geheel aantal cent, van 0 tot 10.000.
console-ride-map = De rit, zonder de eerste en laatste 200 m
